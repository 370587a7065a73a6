import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobError, BundleError, type Logger, type pb } from '../protocol/index.ts';
import { ensurePrivateDir } from './ensurePrivateDir.ts';

/** Refuse bundles larger than this (a task bundle is code, not data). */
const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;
/** Refuse files larger than this (a sanity bound; the coordinator's own limit is lower today). */
const MAX_FILE_BYTES = 16 * 1024 * 1024 * 1024;
/** A bundle download that takes longer than this has failed. */
const BUNDLE_DEADLINE_MS = 120_000;
/** A file download that takes longer than this has failed. */
const FILE_DEADLINE_MS = 30 * 60_000;
const DIGEST = /^[0-9a-f]{64}$/;

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
}

/**
 * Blobs on local disk, by digest: task bundles and the files tasks fetch. A blob is downloaded from the
 * Blobs service on first use, hashed while it streams to a temporary file, verified against its digest
 * before anything uses it, made read-only and renamed into place (so no one ever sees half a file).
 * Concurrent requests for one blob share one download; a file already on disk (from an earlier run) is
 * re-verified once per process, then trusted.
 *
 * @example
 * const cache = new BlobCache({ dir, blobs, logger });
 * const bundle = cache.pathIfReady(digest) ?? await cache.get(digest);   // <dir>/<digest>.mjs
 * const input = await cache.get(inputDigest, 'file');                    // <dir>/<digest>
 */
export class BlobCache {
  readonly dir: string;
  readonly #blobs: pb.BlobsClient;
  readonly #log: Logger;
  /** Verified blobs by path: the hot path (bundles) looks here synchronously. */
  readonly #ready = new Map<string, string>();
  readonly #pending = new Map<string, Promise<string>>();
  #dirMade: Promise<void> | undefined;
  readonly #group: number | undefined;

  constructor(options: BlobCacheOptions) {
    this.dir = options.dir;
    this.#group = options.group;
    this.#blobs = options.blobs;
    this.#log = options.logger;
  }

  /** The path of a blob already verified by this process, without waiting; else undefined. */
  pathIfReady(digest: string, kind: BlobKind = 'bundle'): string | undefined {
    return this.#ready.get(kind === 'bundle' ? digest : `${digest}:file`);
  }

  /**
   * The path of a verified, read-only copy of the blob, fetching it if needed. Rejects with a
   * `BundleError` (bundles) or a `BlobError` (files).
   */
  get(digest: string, kind: BlobKind = 'bundle'): Promise<string> {
    const key = kind === 'bundle' ? digest : `${digest}:file`;
    const ready = this.#ready.get(key);
    if (ready !== undefined) return Promise.resolve(ready);
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = this.#load(digest, kind).then(
        (path) => {
          this.#ready.set(key, path);
          return path;
        },
      ).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  async #load(digest: string, kind: BlobKind): Promise<string> {
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
      if (onDisk === digest) return path;
      this.#log.warn({ digest, path }, `cached ${what} does not match its digest; fetching it again`);
      await unlink(path).catch(() => {});
    }
    const started = performance.now();
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const { bytes, actual } = await this.#download(digest, tmp, kind, fail);
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
  async #download(digest: string, tmp: string, kind: BlobKind, fail: (message: string, cause?: unknown) => Error): Promise<{ bytes: number; actual: string }> {
    const what = kind === 'bundle' ? 'bundle' : 'blob';
    const max = kind === 'bundle' ? MAX_BUNDLE_BYTES : MAX_FILE_BYTES;
    const deadline = Date.now() + (kind === 'bundle' ? BUNDLE_DEADLINE_MS : FILE_DEADLINE_MS);
    let file;
    try {
      file = await open(tmp, 'wx', 0o600);
    } catch (error) {
      throw fail(`could not write ${what} ${digest} to ${this.dir}: ${(error as Error).message}`, error);
    }
    const call = this.#blobs.get({ digest }, { deadline });
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
      const why = e.code === 5 ? "it is not in the coordinator's blob store" : (e.details ?? e.message);
      throw fail(`could not fetch ${what} ${digest}: ${why}`, error);
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
