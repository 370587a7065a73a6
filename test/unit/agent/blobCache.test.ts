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
const JOB = 'job-1';
const OTHER_JOB = 'job-2';
/** A job whose owner may read none of these blobs. */
const OUTSIDER = 'job-outsider';
const SESSION = 's-test';

describe('BlobCache', () => {
  let server: grpc.Server;
  let client: pb.BlobsClient;
  let dir: string;
  let gets: string[];
  /** `Has` calls, as `<job> <session> <digest>`. */
  let asks: string[];
  /** Called when a download names a session other than SESSION. */
  let onWrongSession = (): void => {};
  beforeAll(async () => {
    // A fake Blobs service: serves GOOD under its digest, and (wrongly) under LIAR_DIGEST too, to
    // every job but OUTSIDER (whose owner may read nothing); `Has` answers the same way.
    server = new grpc.Server();
    const handlers: pb.BlobsServer = {
      has: (call, cb) => {
        const { digests, jobId, sessionId } = call.request;
        asks.push(`${jobId} ${sessionId} ${digests.join(',')}`);
        cb(null, { present: digests.map((d) => jobId !== OUTSIDER && (d === GOOD_DIGEST || d === LIAR_DIGEST)) });
      },
      put: (_call, cb) => cb({ code: grpc.status.UNIMPLEMENTED }),
      get: (call) => {
        const digest = call.request.digest;
        gets.push(digest);
        if (call.request.sessionId !== SESSION) {
          onWrongSession();
          call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: 'wrong session' });
          return;
        }
        if ((digest !== GOOD_DIGEST && digest !== LIAR_DIGEST) || call.request.jobId === OUTSIDER) {
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
  // Every cache directory of the test (one may make two caches), removed after it.
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  const fresh = async () => {
    dir = await mkdtemp(join(os.tmpdir(), 'drover-bundles-test-'));
    dirs.push(dir);
    gets = [];
    asks = [];
    return new BlobCache({ dir, blobs: client, logger: pino({ level: 'silent' }), sessionId: () => SESSION });
  };

  it('fetches, verifies and stores a bundle once for concurrent requests', async () => {
    const cache = await fresh();
    expect(cache.pathIfReady(GOOD_DIGEST, 'bundle', JOB)).toBeUndefined();
    const paths = await Promise.all([cache.get(GOOD_DIGEST, 'bundle', JOB), cache.get(GOOD_DIGEST, 'bundle', JOB), cache.get(GOOD_DIGEST, 'bundle', JOB)]);
    expect(new Set(paths)).toEqual(new Set([join(dir, `${GOOD_DIGEST}.mjs`)]));
    expect(gets).toEqual([GOOD_DIGEST]);
    expect((await readFile(paths[0])).equals(GOOD)).toBe(true);
    expect(cache.pathIfReady(GOOD_DIGEST, 'bundle', JOB)).toBe(paths[0]);
    // No temp files left behind.
    expect(await readdir(dir)).toEqual([`${GOOD_DIGEST}.mjs`]);
  });

  it('keeps files for tasks apart from bundles: no extension, read-only, BlobError when refused', async () => {
    const cache = await fresh();
    const [file, bundle] = await Promise.all([cache.get(GOOD_DIGEST, 'file', JOB), cache.get(GOOD_DIGEST, 'bundle', JOB)]);
    expect(file).toBe(join(dir, GOOD_DIGEST));
    expect(bundle).toBe(join(dir, `${GOOD_DIGEST}.mjs`));
    expect((await stat(file)).mode & 0o777).toBe(0o444);
    expect((await readFile(file)).equals(GOOD)).toBe(true);
    expect(cache.pathIfReady(GOOD_DIGEST, 'file', JOB)).toBe(file);
    const err = await cache.get(LIAR_DIGEST, 'file', JOB).catch((e: unknown) => e);
    expect((err as Error).name).toBe('BlobError');
    expect((err as Error & { code: string }).code).toBe('DROVER_BLOB');
    expect((err as Error).message).toContain(`blob ${LIAR_DIGEST} failed verification`);
    expect((await readdir(dir)).sort()).toEqual([GOOD_DIGEST, `${GOOD_DIGEST}.mjs`]);
  });

  it('refuses bytes that do not match the digest, and writes nothing', async () => {
    const cache = await fresh();
    const err = await cache.get(LIAR_DIGEST, 'bundle', JOB).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as Error).message).toContain('failed verification');
    expect((err as Error).message).toContain(GOOD_DIGEST);
    expect(cache.pathIfReady(LIAR_DIGEST, 'bundle', JOB)).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it('says so when the blob is missing, and rejects malformed digests without asking', async () => {
    const cache = await fresh();
    await expect(cache.get('b'.repeat(64), 'bundle', JOB)).rejects.toThrow(/not in the coordinator's blob store/);
    await expect(cache.get('../../etc/passwd', 'bundle', JOB)).rejects.toThrow(/invalid bundle digest/);
    expect(gets).toEqual(['b'.repeat(64)]);
  });

  it('refuses a cache directory others can write to', async () => {
    const cache = await fresh();
    await chmod(dir, 0o777);
    await expect(cache.get(GOOD_DIGEST, 'bundle', JOB)).rejects.toThrow(/closed to others/);
    expect(gets).toEqual([]);
  });

  it('reuses a verified file on disk and replaces a corrupted one', async () => {
    const cache = await fresh();
    await writeFile(join(dir, `${GOOD_DIGEST}.mjs`), GOOD);
    expect(await cache.get(GOOD_DIGEST, 'bundle', JOB)).toBe(join(dir, `${GOOD_DIGEST}.mjs`));
    expect(gets).toEqual([]);
    // Left by an earlier run, for whichever job: the coordinator was asked whether this job may use it.
    expect(asks).toEqual([`${JOB} ${SESSION} ${GOOD_DIGEST}`]);

    const other = new BlobCache({ dir, blobs: client, logger: pino({ level: 'silent' }), sessionId: () => SESSION });
    await writeFile(join(dir, `${GOOD_DIGEST}.mjs`), 'tampered');
    await other.get(GOOD_DIGEST, 'bundle', JOB);
    expect(gets).toEqual([GOOD_DIGEST]);
    expect((await readFile(join(dir, `${GOOD_DIGEST}.mjs`))).equals(GOOD)).toBe(true);
  });

  it("serves a cached blob to another job only once the coordinator says that job's owner may read it", async () => {
    const cache = await fresh();
    const path = await cache.get(GOOD_DIGEST, 'file', JOB);
    expect(gets).toEqual([GOOD_DIGEST]);
    expect(asks).toEqual([]); // the download itself was checked for JOB

    // Another job whose owner may not read it: refused although the bytes are on disk.
    expect(cache.pathIfReady(GOOD_DIGEST, 'file', OUTSIDER)).toBeUndefined();
    const err = await cache.get(GOOD_DIGEST, 'file', OUTSIDER).catch((e: unknown) => e);
    expect((err as Error).name).toBe('BlobError');
    expect((err as Error).message).toContain(`blob ${GOOD_DIGEST} is not available to job ${OUTSIDER}`);
    expect(asks).toEqual([`${OUTSIDER} ${SESSION} ${GOOD_DIGEST}`]);

    // A job whose owner may: asked once (for concurrent requests too), then remembered.
    expect(await Promise.all([cache.get(GOOD_DIGEST, 'file', OTHER_JOB), cache.get(GOOD_DIGEST, 'file', OTHER_JOB)])).toEqual([path, path]);
    expect(await cache.get(GOOD_DIGEST, 'file', OTHER_JOB)).toBe(path);
    expect(cache.pathIfReady(GOOD_DIGEST, 'file', OTHER_JOB)).toBe(path);
    expect(asks).toEqual([`${OUTSIDER} ${SESSION} ${GOOD_DIGEST}`, `${OTHER_JOB} ${SESSION} ${GOOD_DIGEST}`]);
    expect(gets).toEqual([GOOD_DIGEST]);
  });

  it('checks a job waiting on a download started for another job on its own', async () => {
    const cache = await fresh();
    const [mine, theirs] = await Promise.allSettled([cache.get(GOOD_DIGEST, 'bundle', JOB), cache.get(GOOD_DIGEST, 'bundle', OUTSIDER)]);
    expect(mine.status).toBe('fulfilled');
    expect(theirs.status).toBe('rejected');
    expect(((theirs as PromiseRejectedResult).reason as Error).name).toBe('BundleError');
    // And the other way round: the outsider's refused download does not fail a job that may read it.
    const again = await fresh();
    const [refused, allowed] = await Promise.allSettled([again.get(GOOD_DIGEST, 'bundle', OUTSIDER), again.get(GOOD_DIGEST, 'bundle', JOB)]);
    expect(refused.status).toBe('rejected');
    expect(allowed.status).toBe('fulfilled');
    expect(gets).toEqual([GOOD_DIGEST, GOOD_DIGEST]);
  });

  it('downloads again under the new session when refused for the old one while the agent reconnected', async () => {
    await fresh();
    let session = 's-old';
    onWrongSession = () => (session = SESSION); // the agent re-registered meanwhile
    try {
      const cache = new BlobCache({ dir, blobs: client, logger: pino({ level: 'silent' }), sessionId: () => session });
      expect(await cache.get(GOOD_DIGEST, 'file', JOB)).toBe(join(dir, GOOD_DIGEST));
      expect(gets).toEqual([GOOD_DIGEST, GOOD_DIGEST]);
      // Refused with the session unchanged: that is the answer.
      session = 's-other';
      onWrongSession = () => {};
      const err = await cache.get(LIAR_DIGEST, 'file', JOB).catch((e: unknown) => e);
      expect((err as Error).message).toContain('wrong session');
    } finally {
      onWrongSession = () => {};
    }
  });
});
