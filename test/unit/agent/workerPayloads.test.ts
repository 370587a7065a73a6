// What a worker process starts with (its environment) and the payload forms it reads (docs/protocol.md,
// "Values"): single arguments under their tag, packed number blocks both ways, argument arrays.
import { afterEach, describe, expect, it } from 'vitest';
import { decodeItems, encodeTaskPayload, encodeValue } from '../../../src/protocol/index.ts';
import { PoolHarness } from './poolHarness.ts';

describe('worker environment', () => {
  const saved = { GLIBC_TUNABLES: process.env.GLIBC_TUNABLES, DROVER_OWN_MALLOC_TUNABLES: process.env.DROVER_OWN_MALLOC_TUNABLES };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it("drops the malloc settings bin/drover.js gave the agent, but keeps the user's own", async () => {
    process.env.GLIBC_TUNABLES = 'glibc.malloc.mmap_threshold=131072';
    process.env.DROVER_OWN_MALLOC_TUNABLES = '1';
    const ours = await PoolHarness.start(1);
    try {
      expect(await ours.value(ours.submit('envVar', [['GLIBC_TUNABLES'], ['DROVER_OWN_MALLOC_TUNABLES'], ['PATH']]))).toEqual([null, null, process.env.PATH]);
    } finally {
      await ours.stop();
    }
    delete process.env.DROVER_OWN_MALLOC_TUNABLES;
    const theirs = await PoolHarness.start(1);
    try {
      expect(await theirs.value(theirs.submit('envVar', [['GLIBC_TUNABLES']]))).toEqual(['glibc.malloc.mmap_threshold=131072']);
    } finally {
      await theirs.stop();
    }
  });
});

describe('worker payloads', () => {
  it('reads single arguments and packed blocks, and packs many numeric results', async () => {
    const h = await PoolHarness.start(1);
    try {
      const xs = Array.from({ length: 1000 }, (_, i) => i - 500);
      const packed = h.submit('square', [], { payload: encodeTaskPayload(xs, false) });
      const { outcome } = await h.result(packed);
      expect(outcome?.$case).toBe('value');
      const bytes = outcome!.value as Uint8Array;
      // d8 4e: the results went back as one sint32 block.
      expect(Buffer.from(bytes.subarray(0, 2)).toString('hex')).toBe('d84e');
      expect(Array.from(decodeItems(bytes))).toEqual(xs.map((x) => x * x));
      // Single arguments that are arrays are not spread; few or mixed results go as a CBOR array.
      const single = h.submit('envVar', [], { payload: encodeTaskPayload(['PATH', 'NO_SUCH_VARIABLE_P2'], false) });
      expect(await h.value(single)).toEqual([process.env.PATH, null]);
      // The failing item's offset inside a chunk of argument arrays.
      const failing = h.submit('failOn', [], { payload: encodeValue(xs.map((x) => [x, 7])) });
      expect((await h.failure(failing)).itemOffset).toBe(507);
      // A payload that is neither form fails only its task, with a CodecError.
      const bad = h.submit('square', [], { payload: encodeValue({ not: 'a payload' }) });
      expect(await h.failure(bad)).toMatchObject({ kind: 'internal', name: 'CodecError', code: 'DROVER_CODEC' });
      expect(await h.value(h.submit('square', [[3]]))).toEqual([9]);
    } finally {
      await h.stop();
    }
  });
});
