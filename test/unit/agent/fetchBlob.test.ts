import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/protocol/index.ts';
import { ServicesHarness } from './servicesHarness.ts';

describe('context.fetchBlob', () => {
  let h: ServicesHarness;
  beforeAll(async () => {
    h = await ServicesHarness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('downloads a blob once into the cache and answers the verified, read-only file', async () => {
    const text = 'net.xml contents\n'.repeat(100_000); // 1.7 MB: several chunks
    const digest = h.coord.putBlob(text);
    h.coord.getDelayMs = 100; // the two fetches below overlap
    const [a, b] = await Promise.all([h.value<{ path: string; text: string; mode: number }>('fetch', [digest]), h.value<{ path: string; text: string; mode: number }>('fetch', [digest])]);
    h.coord.getDelayMs = 0;
    expect(a.path).toBe(join(h.cacheDir, digest));
    expect(b.path).toBe(a.path);
    expect(a.text).toBe(text);
    expect(a.mode).toBe(0o444);
    // Two tasks on two workers at once, then a third later: one download.
    expect(await h.value<{ path: string }>('fetch', [digest])).toMatchObject({ path: a.path });
    expect(h.coord.gets.filter((d) => d === digest)).toHaveLength(1);
    expect((await readdir(h.cacheDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a blob whose bytes do not match its digest, and keeps nothing of it', async () => {
    const claimed = sha256Hex(Buffer.from('what the task expects'));
    h.coord.blobs.set(claimed, Buffer.from('something else entirely'));
    const e = await h.value<{ name: string; message: string; code: string; stack: string }>('fetchError', [claimed]);
    expect(e.name).toBe('BlobError');
    expect(e.code).toBe('DROVER_BLOB');
    expect(e.message).toContain(`context.fetchBlob("${claimed}")`);
    expect(e.message).toContain('failed verification');
    expect(e.message).toContain(sha256Hex(Buffer.from('something else entirely')));
    // The stack names the task's own code that asked.
    expect(e.stack).toContain('fetchError');
    expect(existsSync(join(h.cacheDir, claimed))).toBe(false);
    expect((await readdir(h.cacheDir)).filter((f) => f.startsWith(claimed))).toEqual([]);
  });

  it('rejects with a clear message when the blob is missing or the digest malformed', async () => {
    const missing = await h.value<{ message: string }>('fetchError', ['c'.repeat(64)]);
    expect(missing.message).toMatch(/not in the coordinator's blob store/);
    const gets = h.coord.gets.length;
    const malformed = await h.value<{ message: string }>('fetchError', ['../../etc/passwd']);
    expect(malformed.message).toMatch(/invalid blob digest/);
    expect(h.coord.gets.length).toBe(gets);
  });
});
