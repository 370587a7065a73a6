// Inputs: lazy consumption of generators, large values, and values that must round-trip.
import { describe, expect, it } from 'vitest';
import { usePoolOnCluster } from '../usePoolOnCluster.ts';

const env = usePoolOnCluster({ agents: 2, processes: 1 });

describe('lazy inputs', () => {
  it('pulls a generator no further than the window ahead of the consumer', async () => {
    let pulled = 0;
    function* naturals() {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    }
    const window = 8;
    const got: number[] = [];
    for await (const v of env.pool.imap(env.tasks.square, naturals(), { window })) {
      got.push(v);
      if (got.length === 50) break;
      // Never more than the window (plus the item being chunked) pulled beyond what we consumed.
      expect(pulled - got.length).toBeLessThanOrEqual(window + 1);
    }
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i * i));
  });

  it('pulls an async generator lazily and closes it when the consumer stops', async () => {
    let pulled = 0;
    let closed = false;
    async function* slowSource() {
      try {
        for (let i = 0; ; i++) {
          pulled++;
          await new Promise((r) => setTimeout(r, 1));
          yield i;
        }
      } finally {
        closed = true;
      }
    }
    const got: number[] = [];
    for await (const v of env.pool.imapUnordered(env.tasks.square, slowSource(), { window: 4 })) {
      got.push(v);
      expect(pulled - got.length).toBeLessThanOrEqual(5);
      if (got.length === 20) break;
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(true);
  });

  it('maps over a finite generator with map', async () => {
    function* three() {
      yield 1;
      yield 2;
      yield 3;
    }
    expect(await env.pool.map(env.tasks.square, three())).toEqual([1, 4, 9]);
  });

  it('keeps input order from a generator when later tasks finish first', async () => {
    const delays = [300, 10, 200, 5, 100, 1, 50, 2];
    function* gen() {
      yield* delays;
    }
    expect(await env.pool.map(env.tasks.sleep, gen(), { chunksize: 1 })).toEqual(delays);
    expect(await env.pool.map(env.tasks.sleep, gen(), { chunksize: 3 })).toEqual(delays);
  });

  it('rejects when the input iterator throws', async () => {
    function* broken() {
      yield 1;
      throw new Error('input broke');
    }
    await expect(env.pool.map(env.tasks.square, broken())).rejects.toThrow(/input broke/);
  });
});

describe('values', () => {
  it('round-trips bigint, Date, Uint8Array, typed arrays, nested objects, null and unicode', async () => {
    const value = {
      small: 5n,
      big: 2n ** 100n,
      negative: -(2n ** 70n),
      when: new Date('2026-11-22T10:00:00.123Z'),
      bytes: new Uint8Array([0, 1, 254, 255]),
      floats: new Float64Array([1.5, -0, Number.MAX_VALUE]),
      ints: new Int32Array([1, -2, 2147483647]),
      u16: new Uint16Array([65535]),
      nested: { list: [1, 'two', null, true, 3.25, { deep: ['x'] }] },
      text: 'grüße, 世界',
      large: 2 ** 53 - 1,
    };
    // A generic task's return type is not inferred through the stub: name it.
    const [back] = (await env.pool.map(env.tasks.echo, [value])) as (typeof value)[];
    expect(back!.small).toBe(5n);
    expect(back!.big).toBe(2n ** 100n);
    expect(back!.negative).toBe(-(2n ** 70n));
    expect(back!.when).toBeInstanceOf(Date);
    expect(back!.when.toISOString()).toBe('2026-11-22T10:00:00.123Z');
    expect(back!.bytes).toBeInstanceOf(Uint8Array);
    expect([...back!.bytes]).toEqual([0, 1, 254, 255]);
    expect(back!.floats).toBeInstanceOf(Float64Array);
    expect([...back!.floats]).toEqual([1.5, -0, Number.MAX_VALUE]);
    expect(back!.ints).toBeInstanceOf(Int32Array);
    expect([...back!.ints]).toEqual([1, -2, 2147483647]);
    expect(back!.u16).toBeInstanceOf(Uint16Array);
    expect(back!.nested).toEqual(value.nested);
    expect(back!.text).toBe(value.text);
    expect(back!.large).toBe(2 ** 53 - 1);
  });

  it('gives back the same numbers whether a chunk travels packed or as a CBOR array', async () => {
    // 40 items per task: numeric chunks go as one packed block each way (docs/protocol.md, "Values").
    const ints = Array.from({ length: 400 }, (_, i) => (i - 200) * 10_000_019);
    const floats = [...ints.map((x) => x / 7), NaN, Infinity, -Infinity, -0, 2 ** 53 - 1, -(2 ** 31), 2 ** 31];
    for (const xs of [ints, floats]) {
      const back = await env.pool.map(env.tasks.echo, xs, { chunksize: 40 });
      expect(Array.isArray(back)).toBe(true);
      // -0 comes back as 0, as it always did through CBOR.
      expect(back).toEqual(xs.map((x) => (Object.is(x, -0) ? 0 : x)));
      expect(Object.is(back[xs.indexOf(-0)], 0) || !xs.includes(-0)).toBe(true);
    }
    // A chunk with anything else in it goes as a CBOR array; arrays stay single arguments.
    const mixed = [...Array.from({ length: 30 }, (_, i) => i), 'x', 5n, null, [1, 2], { a: 1 }];
    expect(await env.pool.map(env.tasks.echo, mixed, { chunksize: 40 })).toEqual(mixed);
    // Holes read as undefined, as the array's iterator gives them.
    const holey = Array.from({ length: 50 }, (_, i) => i);
    delete holey[7];
    const fromHoley = await env.pool.map(env.tasks.echo, holey, { chunksize: 20 });
    expect(fromHoley.length).toBe(50);
    expect(fromHoley[7]).toBeUndefined();
    expect(fromHoley[8]).toBe(8);
    // imap and imapUnordered read packed results too.
    const streamed: number[] = [];
    for await (const v of env.pool.imap(env.tasks.square, ints, { chunksize: 50 })) streamed.push(v);
    expect(streamed).toEqual(ints.map((x) => x * x));
    const unordered: number[] = [];
    for await (const v of env.pool.imapUnordered(env.tasks.square, ints, { chunksize: 50 })) unordered.push(v);
    expect(unordered.sort((a, b) => a - b)).toEqual(ints.map((x) => x * x).sort((a, b) => a - b));
  });

  it('carries a 1 MB argument and a 1 MB result', async () => {
    const size = 1024 * 1024;
    const [big] = await env.pool.map(env.tasks.bytes, [size]);
    expect(big!.byteLength).toBe(size);
    expect(big![size - 1]).toBe((size - 1) % 251);
    const arg = new Uint8Array(size).map((_, i) => (i * 7) % 256);
    let expected = 0;
    for (let i = 0; i < arg.length; i++) expected = (expected + arg[i]! * (i + 1)) % 1_000_000_007;
    expect(await env.pool.apply(env.tasks.checksum, arg)).toBe(expected);
    // Several large values in flight at once still fit the wire's limits.
    const many = await env.pool.map(env.tasks.bytes, Array.from({ length: 6 }, () => size), { chunksize: 3 });
    expect(many.map((b) => b.byteLength)).toEqual(Array.from({ length: 6 }, () => size));
  });
});
