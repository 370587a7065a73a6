import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/protocol/index.ts';
import { ServicesHarness } from './servicesHarness.ts';

describe('context.storeFile', () => {
  let h: ServicesHarness;
  beforeAll(async () => {
    h = await ServicesHarness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('uploads a file once, in chunks of at most 1 MiB, and answers its digest and size', async () => {
    const n = 2.5 * 1024 * 1024;
    const data = Buffer.alloc(n);
    for (let i = 0; i < n; i++) data[i] = (i * 31 + 7) & 255;
    const digest = createHash('sha256').update(data).digest('hex');
    const got = await h.value<{ first: { digest: string; size: number }; second: { digest: string; size: number } }>('storeTwice', [n]);
    expect(got.first).toEqual({ digest, size: n });
    expect(got.second).toEqual({ digest, size: n });
    // The second call found it present (Has) and sent nothing.
    expect(h.coord.hasAsked.filter((d) => d === digest)).toHaveLength(2);
    const puts = h.coord.puts.filter((p) => p.digest === digest);
    expect(puts).toHaveLength(1);
    expect(puts[0].chunks).toEqual([1024 * 1024, 1024 * 1024, 0.5 * 1024 * 1024]);
    expect(h.coord.blobs.get(digest)!.equals(data)).toBe(true);
  });

  it('stores an empty file, and a regular file outside the scratch directory', async () => {
    await writeFile(h.note('empty'), '');
    expect(await h.value('store', [h.note('empty')])).toEqual({ digest: sha256Hex(Buffer.alloc(0)), size: 0 });
    await writeFile(h.note('outside.txt'), 'stats');
    expect(await h.value('store', [h.note('outside.txt')])).toEqual({ digest: sha256Hex(Buffer.from('stats')), size: 5 });
    expect(h.coord.blobs.get(sha256Hex(Buffer.from('stats')))?.toString()).toBe('stats');
  });

  it('refuses what is not a regular file, and a missing one, with clear messages', async () => {
    const puts = h.coord.puts.length;
    await mkdir(h.note('a-dir'));
    const dir = await h.value<{ name: string; message: string; code: string }>('storeError', [h.note('a-dir')]);
    expect(dir).toMatchObject({ name: 'BlobError', code: 'DROVER_BLOB' });
    expect(dir.message).toContain('is not a regular file (a directory)');
    // A named pipe: opening it must not hang the agent waiting for a writer.
    execFileSync('mkfifo', [h.note('a-fifo')]);
    const fifo = await h.value<{ message: string }>('storeError', [h.note('a-fifo')]);
    expect(fifo.message).toContain('is not a regular file (a named pipe)');
    const missing = await h.value<{ message: string }>('storeError', [h.note('nope')]);
    expect(missing.message).toMatch(/cannot read .*nope: ENOENT/);
    expect(h.coord.puts.length).toBe(puts);
  });
});
