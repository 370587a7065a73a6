import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BlobCache } from '../../../src/agent/BlobCache.ts';
import { BundleError, pb, sha256Hex } from '../../../src/protocol/index.ts';

const GOOD = Buffer.from('export const answer = () => 42;\n'.repeat(100_000)); // > 1 MiB: several chunks
const GOOD_DIGEST = sha256Hex(GOOD);
const LIAR_DIGEST = 'a'.repeat(64);

describe('BlobCache', () => {
  let server: grpc.Server;
  let client: pb.BlobsClient;
  let dir: string;
  let gets: string[];
  beforeAll(async () => {
    // A fake Blobs service: serves GOOD under its digest, and (wrongly) under LIAR_DIGEST too.
    server = new grpc.Server();
    const handlers: pb.BlobsServer = {
      has: (_call, cb) => cb(null, { present: [] }),
      put: (_call, cb) => cb({ code: grpc.status.UNIMPLEMENTED }),
      get: (call) => {
        const digest = call.request.digest;
        gets.push(digest);
        if (digest !== GOOD_DIGEST && digest !== LIAR_DIGEST) {
          call.emit('error', { code: grpc.status.NOT_FOUND, details: 'no such blob' });
          return;
        }
        // A little delay, so concurrent requests overlap.
        setTimeout(() => {
          for (let off = 0; off < GOOD.length; off += 1024 * 1024) {
            call.write({ data: GOOD.subarray(off, off + 1024 * 1024), size: off === 0 ? GOOD.length : 0 });
          }
          call.end();
        }, 30);
      },
    };
    server.addService(pb.BlobsService, handlers);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    client = new pb.BlobsClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  });
  afterAll(async () => {
    client?.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const fresh = async () => {
    dir = await mkdtemp(join(os.tmpdir(), 'drover-bundles-test-'));
    gets = [];
    return new BlobCache({ dir, blobs: client, logger: pino({ level: 'silent' }) });
  };

  it('fetches, verifies and stores a bundle once for concurrent requests', async () => {
    const cache = await fresh();
    expect(cache.pathIfReady(GOOD_DIGEST)).toBeUndefined();
    const paths = await Promise.all([cache.get(GOOD_DIGEST), cache.get(GOOD_DIGEST), cache.get(GOOD_DIGEST)]);
    expect(new Set(paths)).toEqual(new Set([join(dir, `${GOOD_DIGEST}.mjs`)]));
    expect(gets).toEqual([GOOD_DIGEST]);
    expect((await readFile(paths[0])).equals(GOOD)).toBe(true);
    expect(cache.pathIfReady(GOOD_DIGEST)).toBe(paths[0]);
    // No temp files left behind.
    expect(await readdir(dir)).toEqual([`${GOOD_DIGEST}.mjs`]);
  });

  it('keeps files for tasks apart from bundles: no extension, read-only, BlobError when refused', async () => {
    const cache = await fresh();
    const [file, bundle] = await Promise.all([cache.get(GOOD_DIGEST, 'file'), cache.get(GOOD_DIGEST)]);
    expect(file).toBe(join(dir, GOOD_DIGEST));
    expect(bundle).toBe(join(dir, `${GOOD_DIGEST}.mjs`));
    expect((await stat(file)).mode & 0o777).toBe(0o444);
    expect((await readFile(file)).equals(GOOD)).toBe(true);
    expect(cache.pathIfReady(GOOD_DIGEST, 'file')).toBe(file);
    const err = await cache.get(LIAR_DIGEST, 'file').catch((e: unknown) => e);
    expect((err as Error).name).toBe('BlobError');
    expect((err as Error & { code: string }).code).toBe('DROVER_BLOB');
    expect((err as Error).message).toContain(`blob ${LIAR_DIGEST} failed verification`);
    expect((await readdir(dir)).sort()).toEqual([GOOD_DIGEST, `${GOOD_DIGEST}.mjs`]);
  });

  it('refuses bytes that do not match the digest, and writes nothing', async () => {
    const cache = await fresh();
    const err = await cache.get(LIAR_DIGEST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as Error).message).toContain('failed verification');
    expect((err as Error).message).toContain(GOOD_DIGEST);
    expect(cache.pathIfReady(LIAR_DIGEST)).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it('says so when the blob is missing, and rejects malformed digests without asking', async () => {
    const cache = await fresh();
    await expect(cache.get('b'.repeat(64))).rejects.toThrow(/not in the coordinator's blob store/);
    await expect(cache.get('../../etc/passwd')).rejects.toThrow(/invalid bundle digest/);
    expect(gets).toEqual(['b'.repeat(64)]);
  });

  it('refuses a cache directory others can write to', async () => {
    const cache = await fresh();
    await chmod(dir, 0o777);
    await expect(cache.get(GOOD_DIGEST)).rejects.toThrow(/closed to others/);
    expect(gets).toEqual([]);
  });

  it('reuses a verified file on disk and replaces a corrupted one', async () => {
    const cache = await fresh();
    await writeFile(join(dir, `${GOOD_DIGEST}.mjs`), GOOD);
    expect(await cache.get(GOOD_DIGEST)).toBe(join(dir, `${GOOD_DIGEST}.mjs`));
    expect(gets).toEqual([]);

    const other = new BlobCache({ dir, blobs: client, logger: pino({ level: 'silent' }) });
    await writeFile(join(dir, `${GOOD_DIGEST}.mjs`), 'tampered');
    await other.get(GOOD_DIGEST);
    expect(gets).toEqual([GOOD_DIGEST]);
    expect((await readFile(join(dir, `${GOOD_DIGEST}.mjs`))).equals(GOOD)).toBe(true);
  });
});
