import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { BlobError, BundleError, type Logger, type pb } from '../protocol/index.ts';
import { ensurePrivateDir } from './ensurePrivateDir.ts';
import { retryOnNewSession } from './retryOnNewSession.ts';

/** Refuse bundles larger than this (a task bundle is code, not data). */
const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;
/** Refuse files larger than this (a sanity bound; the coordinator's own limit is lower today). */
const MAX_FILE_BYTES = 16 * 1024 * 1024 * 1024;
/** A bundle download that takes longer than this has failed. */
const BUNDLE_DEADLINE_MS = 120_000;
/** A file download that takes longer than this has failed. */
const FILE_DEADLINE_MS = 30 * 60_000;
const DIGEST = /^[0-9a-f]{64}$/;
/** A `Has` asking whether a cached blob may serve a job that takes longer than this has failed. */
const ASK_DEADLINE_MS = 30_000;
/** Most (job, blob) pairs remembered as allowed; past it the oldest are forgotten (and asked again). */
const MAX_ALLOWED = 65_536;

/**
 * What a cached blob is for. A `bundle` is task code: stored as `<digest>.mjs`, so a worker can
 * `import()` it as ESM. A `file` is data a task asked for (`context.fetchBlob`): stored as `<digest>`,
 * without an extension.
 */
export type BlobKind = 'bundle' | 'file';

/** Options of {@link BlobCache}. */
export interface BlobCacheOptions {
  /** Directory of cached blobs, created if missing (mode 0700; refused if others can write to it). */
  dir: string;
  /** Where blobs come from (the coordinator's Blobs service). */
  blobs: pb.BlobsClient;
  logger: Logger;
  /** Open the directory to this group for traversal (workers running as another user read the blobs). */
  group?: number;
  /**
   * The agent's current session id (from `Registered`), named with the job in every call: the
   * coordinator serves a job's blobs only to a session holding an attempt of it. Default: none.
   */
  sessionId?: () => string;
}

/**
 * Blobs on local disk, by digest: task bundles and the files tasks fetch. A blob is downloaded from the
 * Blobs service on first use, hashed while it streams to a temporary file, verified against its digest
 * before anything uses it, made read-only and renamed into place (so no one ever sees half a file).
 * Concurrent requests for one blob share one download; a file already on disk (from an earlier run) is
 * re-verified once per process, then trusted.
 *
 * Every request names the job it is for, and the cache is shared by all jobs: a blob on disk serves a
 * job only once the coordinator has said that job's owner may read it — by serving the download for
 * that job, or by answering `Has` for it (asked when the blob is already here, for another job or from
 * an earlier run). The positive answers are remembered per (job, blob).
 *
 * @example
 * const cache = new BlobCache({ dir, blobs, logger });
 * const bundle = cache.pathIfReady(digest, 'bundle', jobId) ?? await cache.get(digest, 'bundle', jobId);   // <dir>/<digest>.mjs
 * const input = await cache.get(inputDigest, 'file', jobId);                                           // <dir>/<digest>
 */
export class BlobCache {
  readonly dir: string;
  readonly #blobs: pb.BlobsClient;
  readonly #log: Logger;
  /** Verified blobs by path: the hot path (bundles) looks here synchronously. */
  readonly #ready = new Map<string, string>();
  /** Downloads under way by path key, with the job each is for. */
  readonly #pending = new Map<string, { jobId: string; path: Promise<string> }>();
  /** `<job id> <digest>` of the blobs the coordinator said each job may use (insertion order: oldest first). */
  readonly #allowed = new Set<string>();
  /** `Has` questions under way, by `<job id> <digest>`. */
  readonly #asking = new Map<string, Promise<void>>();
  #dirMade: Promise<void> | undefined;
  readonly #group: number | undefined;
  readonly #sessionId: () => string;

  constructor(options: BlobCacheOptions) {
    this.dir = options.dir;
    this.#group = options.group;
    this.#sessionId = options.sessionId ?? (() => '');
    this.#blobs = options.blobs;
    this.#log = options.logger;
  }

  /**
   * The path of a blob already verified by this process and allowed to job `jobId`, without waiting;
   * else undefined.
   */
  pathIfReady(digest: string, kind: BlobKind, jobId: string): string | undefined {
    const path = this.#ready.get(kind === 'bundle' ? digest : `${digest}:file`);
    return path !== undefined && this.#allowed.has(`${jobId} ${digest}`) ? path : undefined;
  }

  /**
   * The coordinator assigned a task of job `jobId` whose function is in bundle `digest`: that job may use
   * the bundle. The coordinator opened the job only once its owner proved it may read the bundle (an
   * upload of the same bytes, or admin), so the assignment vouches for it and a cached copy serves the job
   * without a question per job (a round trip before every job's first task). Other blobs a task asks for
   * are still checked with the coordinator.
   */
  allowJobBundle(digest: string, jobId: string): void {
    const grant = `${jobId} ${digest}`;
    if (!this.#allowed.has(grant)) this.#allow(grant);
  }

  /**
   * The path of a verified, read-only copy of the blob for job `jobId`, fetching it if needed. Rejects
   * with a `BundleError` (bundles) or a `BlobError` (files), also when the coordinator does not let
   * that job use the blob.
   */
  async get(digest: string, kind: BlobKind, jobId: string): Promise<string> {
    const key = kind === 'bundle' ? digest : `${digest}:file`;
    const grant = `${jobId} ${digest}`;
    for (;;) {
      const ready = this.#ready.get(key);
      if (ready !== undefined) {
        // Here already (for another job, maybe): this job must be allowed it too.
        if (!this.#allowed.has(grant)) {
          // One question per (job, blob), however many of the job's tasks wait for the answer.
          let asking = this.#asking.get(grant);
          if (asking === undefined) {
            asking = retryOnNewSession(this.#sessionId, () => this.#ask(digest, kind, jobId))
              .then(() => this.#allow(grant))
              .finally(() => this.#asking.delete(grant));
            this.#asking.set(grant, asking);
          }
          await asking;
        }
        return ready;
      }
      const pending = this.#pending.get(key);
      if (pending === undefined) break;
      // The same job shares the download's outcome; another job's download, once over, is checked
      // for this one (or, if it failed, this job downloads it for itself).
      if (pending.jobId === jobId) return pending.path;
      await pending.path.catch(() => {});
    }
    const path = retryOnNewSession(this.#sessionId, () => this.#load(digest, kind, jobId)).then(
      (path) => {
        this.#ready.set(key, path);
        this.#allow(grant);
        return path;
      },
    ).finally(() => this.#pending.delete(key));
    this.#pending.set(key, { jobId, path });
    return path;
  }

  #allow(grant: string): void {
    this.#allowed.add(grant);
    if (this.#allowed.size > MAX_ALLOWED) this.#allowed.delete(this.#allowed.values().next().value!);
  }

  /** Ask the coordinator whether job `jobId` may use the blob (present in its store, readable by the job's owner). */
  async #ask(digest: string, kind: BlobKind, jobId: string): Promise<void> {
    const what = kind === 'bundle' ? 'bundle' : 'blob';
    const fail = (message: string, cause?: unknown): Error =>
      kind === 'bundle' ? new BundleError(message, cause === undefined ? {} : { cause }) : new BlobError(message, cause === undefined ? {} : { cause });
    const present = await new Promise<boolean>((resolve, reject) => {
      this.#blobs.has({ digests: [digest], jobId, sessionId: this.#sessionId() }, new Metadata(), { deadline: Date.now() + ASK_DEADLINE_MS }, (error, response) => {
        if (error) reject(fail(`could not ask the coordinator about ${what} ${digest} for job ${jobId}: ${error.details || error.message}`, error));
        else resolve(response.present[0] === true);
      });
    });
    if (!present) throw fail(`${what} ${digest} is not available to job ${jobId}: it is not in the coordinator's blob store, or the job's owner may not read it`);
  }

  async #load(digest: string, kind: BlobKind, jobId: string): Promise<string> {
    const fail = (message: string, cause?: unknown): Error =>
      kind === 'bundle' ? new BundleError(message, cause === undefined ? {} : { cause }) : new BlobError(message, cause === undefined ? {} : { cause });
    const what = kind === 'bundle' ? 'bundle' : 'blob';
    // The digest becomes a file name: only a well-formed one may.
    if (!DIGEST.test(digest)) throw fail(`invalid ${what} digest ${JSON.stringify(digest.slice(0, 80))}: expected 64 lowercase hex characters`);
    this.#dirMade ??= ensurePrivateDir(this.dir, (reason) => fail(`the blob cache ${reason}`), this.#group);
    await this.#dirMade;
    const path = join(this.dir, kind === 'bundle' ? `${digest}.mjs` : digest);
    const onDisk = await hashFile(path).catch(() => undefined);
    if (onDisk !== undefined) {
      if (onDisk === digest) {
        // Left by an earlier run, for whichever job: the coordinator says whether this one may use it.
        await this.#ask(digest, kind, jobId);
        return path;
      }
      this.#log.warn({ digest, path }, `cached ${what} does not match its digest; fetching it again`);
      await unlink(path).catch(() => {});
    }
    const started = performance.now();
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const { bytes, actual } = await this.#download(digest, tmp, kind, jobId, fail);
      if (actual !== digest) {
        throw fail(`${what} ${digest} failed verification: the ${bytes} bytes received hash to ${actual}; refusing to ${kind === 'bundle' ? 'run' : 'use'} it`);
      }
      try {
        await chmod(tmp, 0o444);
        await rename(tmp, path);
      } catch (error) {
        throw fail(`could not write ${what} ${digest} to ${this.dir}: ${(error as Error).message}`, error);
      }
      this.#log.debug({ digest, kind, bytes, ms: Math.round(performance.now() - started) }, `${what} fetched`);
      return path;
    } catch (error) {
      await unlink(tmp).catch(() => {});
      throw error;
    }
  }

  /** Stream the blob into `tmp`, hashing as it arrives; the caller checks the digest. */
  async #download(digest: string, tmp: string, kind: BlobKind, jobId: string, fail: (message: string, cause?: unknown) => Error): Promise<{ bytes: number; actual: string }> {
    const what = kind === 'bundle' ? 'bundle' : 'blob';
    const max = kind === 'bundle' ? MAX_BUNDLE_BYTES : MAX_FILE_BYTES;
    const deadline = Date.now() + (kind === 'bundle' ? BUNDLE_DEADLINE_MS : FILE_DEADLINE_MS);
    let file;
    try {
      file = await open(tmp, 'wx', 0o600);
    } catch (error) {
      throw fail(`could not write ${what} ${digest} to ${this.dir}: ${(error as Error).message}`, error);
    }
    const call = this.#blobs.get({ digest, jobId, sessionId: this.#sessionId() }, { deadline });
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      for await (const chunk of call as AsyncIterable<pb.BlobChunk>) {
        bytes += chunk.data.length;
        if (bytes > max) throw fail(`${what} ${digest} is larger than ${max} bytes; refusing it`);
        hash.update(chunk.data);
        await file.write(chunk.data);
      }
    } catch (error) {
      call.cancel();
      if (error instanceof BundleError || error instanceof BlobError) throw error;
      const e = error as Error & { code?: number; details?: string };
      if (e.code === undefined || typeof e.code !== 'number') throw fail(`could not write ${what} ${digest} to ${this.dir}: ${e.message}`, error);
      const why = e.code === 5 ? "it is not in the coordinator's blob store, or the job's owner may not read it" : (e.details ?? e.message);
      throw fail(`could not fetch ${what} ${digest} for job ${jobId}: ${why}`, error);
    } finally {
      await file.close();
    }
    return { bytes, actual: hash.digest('hex') };
  }
}

/** The sha256 of a file, read as a stream (files may be large). */
function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
