import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BundleError, sha256Hex, type Logger, type pb } from '../protocol/index.ts';

/** Refuse bundles larger than this (a task bundle is code, not data). */
const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;
/** A blob download that takes longer than this has failed. */
const FETCH_DEADLINE_MS = 120_000;
const DIGEST = /^[0-9a-f]{64}$/;

/** Options of {@link BundleCache}. */
export interface BundleCacheOptions {
  /** Directory of cached bundles, created if missing. */
  dir: string;
  /** Where bundles come from (the coordinator's Blobs service). */
  blobs: pb.BlobsClient;
  logger: Logger;
}

/**
 * Task bundles on local disk, by digest: `<dir>/<digest>.mjs`. A bundle is fetched from the Blobs service
 * on first use, verified against its digest before anything runs it, and written atomically (temp file +
 * rename) so a worker never imports half a file. Concurrent requests for one digest share one download;
 * a file already on disk (from an earlier run) is re-verified once per process, then trusted.
 *
 * @example
 * const cache = new BundleCache({ dir, blobs, logger });
 * const path = cache.pathIfReady(digest) ?? await cache.get(digest);
 */
export class BundleCache {
  readonly dir: string;
  readonly #blobs: pb.BlobsClient;
  readonly #log: Logger;
  /** Verified bundles: the hot path looks here synchronously. */
  readonly #ready = new Map<string, string>();
  readonly #pending = new Map<string, Promise<string>>();
  #dirMade: Promise<void> | undefined;

  constructor(options: BundleCacheOptions) {
    this.dir = options.dir;
    this.#blobs = options.blobs;
    this.#log = options.logger;
  }

  /** The path of a bundle already verified by this process, without waiting; else undefined. */
  pathIfReady(digest: string): string | undefined {
    return this.#ready.get(digest);
  }

  /** The path of a verified copy of the bundle, fetching it if needed. Rejects with a {@link BundleError}. */
  get(digest: string): Promise<string> {
    const ready = this.#ready.get(digest);
    if (ready !== undefined) return Promise.resolve(ready);
    let pending = this.#pending.get(digest);
    if (pending === undefined) {
      pending = this.#load(digest).finally(() => this.#pending.delete(digest));
      this.#pending.set(digest, pending);
    }
    return pending;
  }

  async #load(digest: string): Promise<string> {
    // The digest becomes a file name: only a well-formed one may.
    if (!DIGEST.test(digest)) throw new BundleError(`invalid bundle digest ${JSON.stringify(digest)}: expected 64 lowercase hex characters`);
    this.#dirMade ??= this.#makeDir();
    await this.#dirMade;
    const path = join(this.dir, `${digest}.mjs`);
    const onDisk = await readFile(path).catch(() => undefined);
    if (onDisk !== undefined) {
      if (sha256Hex(onDisk) === digest) {
        this.#ready.set(digest, path);
        return path;
      }
      this.#log.warn({ digest, path }, 'cached bundle does not match its digest; fetching it again');
      await unlink(path).catch(() => {});
    }
    const started = performance.now();
    const bytes = await this.#download(digest);
    const actual = sha256Hex(bytes);
    if (actual !== digest) {
      throw new BundleError(`bundle ${digest} failed verification: the ${bytes.length} bytes received hash to ${actual}; refusing to run it`);
    }
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    } catch (error) {
      await unlink(tmp).catch(() => {});
      throw new BundleError(`could not write bundle ${digest} to ${this.dir}: ${(error as Error).message}`, { cause: error });
    }
    this.#log.debug({ digest, bytes: bytes.length, ms: Math.round(performance.now() - started) }, 'bundle fetched');
    this.#ready.set(digest, path);
    return path;
  }

  /**
   * Create the cache directory, and refuse one that another user could write to: a file swapped in
   * there between verification and import would run unverified code.
   */
  async #makeDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const st = await lstat(this.dir);
    const uid = process.getuid?.();
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) {
      throw new BundleError(`the bundle cache ${this.dir} is not a directory owned by this user and closed to others; remove it or choose another cache directory`);
    }
  }

  #download(digest: string): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const call = this.#blobs.get({ digest }, { deadline: Date.now() + FETCH_DEADLINE_MS });
      const chunks: Buffer[] = [];
      let received = 0;
      let settled = false;
      const fail = (error: BundleError) => {
        if (settled) return;
        settled = true;
        call.cancel();
        reject(error);
      };
      call.on('data', (chunk: pb.BlobChunk) => {
        received += chunk.data.length;
        if (received > MAX_BUNDLE_BYTES) {
          fail(new BundleError(`bundle ${digest} is larger than ${MAX_BUNDLE_BYTES} bytes; refusing it`));
          return;
        }
        chunks.push(chunk.data);
      });
      call.on('error', (error: Error & { code?: number; details?: string }) => {
        const why = error.code === 5 ? 'it is not in the coordinator\'s blob store' : (error.details ?? error.message);
        fail(new BundleError(`could not fetch bundle ${digest}: ${why}`, { cause: error }));
      });
      call.on('end', () => {
        if (settled) return;
        settled = true;
        resolve(Buffer.concat(chunks, received));
      });
    });
  }
}
