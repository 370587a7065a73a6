import { chmod, chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { DroverError, uploadFile, type Logger, type pb } from '../protocol/index.ts';
import type { BlobCache } from './BlobCache.ts';
import { ensurePrivateDir } from './ensurePrivateDir.ts';
import { retryOnNewSession } from './retryOnNewSession.ts';
import type { CallRequest } from './worker/messages.ts';

/** Options of {@link TaskServices}. */
export interface TaskServicesOptions {
  /** Where scratch directories are made (created if missing, mode 0700; refused if others can write to it). */
  workDir: string;
  /** Serves `fetchBlob` (as `file` blobs). */
  cache: BlobCache;
  /** Workers run as this user and group: scratch directories are theirs, the work directory opened to the group for traversal. */
  owner?: { uid: number; gid: number };
  /** Serves `storeFile`. */
  blobs: pb.BlobsClient;
  logger: Logger;
  /**
   * The agent's current session id, named with the job when a task stores a file: the coordinator
   * makes the output readable by the job's owner. Default: none.
   */
  sessionId?: () => string;
}

/** What one attempt asked for; made on its first request, gone when it is released. */
interface AttemptResources {
  attemptId: string;
  /** `scratchDir()`'s answer (one directory per attempt). */
  scratch: Promise<string> | undefined;
  keep: boolean;
  /** Process groups (by leader pid) the task tracks. */
  groups: Set<number>;
}

/**
 * The agent's side of the task context's services, per attempt: `fetchBlob` (from the blob cache),
 * `storeFile` (to the coordinator's blob store), the attempt's scratch directory and the child process
 * groups it tracks. The worker pool forwards the running attempt's requests here and calls
 * {@link release} when the attempt ends, however it ends: the tracked process groups are killed
 * (SIGKILL) and the scratch directory is removed (unless the task asked to keep it).
 *
 * An attempt that uses none of this costs nothing: its resources are made on its first request.
 *
 * @example
 * const services = new TaskServices({ workDir, cache, blobs, logger });
 * const pool = new WorkerPool({ ..., services });
 * // ...
 * await pool.stop();
 * await services.close();   // kills what is left, removes every scratch directory
 */
export class TaskServices {
  readonly workDir: string;
  readonly #owner: { uid: number; gid: number } | undefined;
  readonly #cache: BlobCache;
  readonly #blobs: pb.BlobsClient;
  readonly #log: Logger;
  readonly #sessionId: () => string;
  readonly #attempts = new Map<string, AttemptResources>();
  readonly #removals = new Set<Promise<void>>();
  #dirMade: Promise<void> | undefined;

  constructor(options: TaskServicesOptions) {
    this.workDir = options.workDir;
    this.#owner = options.owner;
    this.#cache = options.cache;
    this.#blobs = options.blobs;
    this.#log = options.logger;
    this.#sessionId = options.sessionId ?? (() => '');
  }

  /**
   * Answer a running attempt's request; rejects with an error whose message the task sees. Blobs are
   * fetched and stored for the attempt's job (`jobId`): a task reads only what its job's owner may,
   * and what it stores becomes readable by that owner.
   */
  async call(attemptId: string, jobId: string, request: CallRequest): Promise<unknown> {
    switch (request.op) {
      case 'fetchBlob':
        if (typeof request.digest !== 'string') throw new TypeError('the digest must be a string');
        return this.#cache.get(request.digest, 'file', jobId);
      case 'storeFile':
        if (typeof request.path !== 'string' || !isAbsolute(request.path)) throw new TypeError('the path must be absolute');
        return retryOnNewSession(this.#sessionId, () => uploadFile(this.#blobs, request.path, { jobId, sessionId: this.#sessionId() }));
      case 'scratchDir': {
        // Synchronous up to here: a release that follows finds the directory being made, and waits for it.
        const r = this.#resources(attemptId);
        r.scratch ??= this.#makeScratch(r);
        return r.scratch;
      }
      default:
        throw new TypeError(`unknown request ${JSON.stringify((request as { op: unknown }).op)}`);
    }
  }

  /** The running attempt tracks a process group (the leader's pid): killed when the attempt ends. */
  track(attemptId: string, pid: number): void {
    if (!killable(pid)) return;
    this.#resources(attemptId).groups.add(pid);
  }

  untrack(attemptId: string, pid: number): void {
    this.#attempts.get(attemptId)?.groups.delete(pid);
  }

  /** The running attempt asked to keep its scratch directory. */
  keepScratch(attemptId: string): void {
    this.#resources(attemptId).keep = true;
  }

  /** Kill a process group at once (tracked by an attempt that has already ended). */
  killGroup(pid: number): void {
    if (killable(pid)) killGroup(pid);
  }

  /**
   * The attempt ended (result, failure, crash, timeout, cancel): kill its tracked process groups and
   * remove its scratch directory (in the background; {@link close} waits for it) unless it is kept.
   */
  release(attemptId: string): void {
    const r = this.#attempts.get(attemptId);
    if (r === undefined) return;
    this.#attempts.delete(attemptId);
    for (const pid of r.groups) killGroup(pid);
    if (r.groups.size > 0) this.#log.debug({ attemptId, groups: [...r.groups] }, 'killed the process groups the task left behind');
    r.groups.clear();
    if (r.scratch === undefined) return;
    const removal = r.scratch.then(
      (path) => (r.keep ? this.#log.info({ attemptId, path }, 'kept the scratch directory (context.keepScratch())') : this.#remove(path, attemptId)),
      () => {}, // never made: nothing to remove
    );
    this.#removals.add(removal);
    void removal.finally(() => this.#removals.delete(removal));
  }

  /** Release every attempt still held (the pool was stopped with tasks running) and wait for the removals. */
  async close(): Promise<void> {
    for (const id of [...this.#attempts.keys()]) this.release(id);
    while (this.#removals.size > 0) await Promise.all([...this.#removals]);
  }

  #resources(attemptId: string): AttemptResources {
    let r = this.#attempts.get(attemptId);
    if (r === undefined) {
      r = { attemptId, scratch: undefined, keep: false, groups: new Set() };
      this.#attempts.set(attemptId, r);
    }
    return r;
  }

  async #makeScratch(r: AttemptResources): Promise<string> {
    this.#dirMade ??= ensurePrivateDir(this.workDir, (reason) => new DroverError('DROVER_SCRATCH', `the agent's work directory ${reason}`), this.#owner?.gid);
    try {
      await this.#dirMade;
    } catch (error) {
      this.#dirMade = undefined; // fixed meanwhile? try again next time
      throw error;
    }
    // mkdtemp makes it 0700 with a random suffix: a fresh directory even for an attempt id seen before.
    const dir = await mkdtemp(join(this.workDir, `${r.attemptId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64)}-`));
    if (this.#owner !== undefined) await chown(dir, this.#owner.uid, this.#owner.gid);
    return dir;
  }

  async #remove(path: string, attemptId: string): Promise<void> {
    try {
      await rm(path, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // A task may have left read-only directories behind: open them up, then try once more.
      try {
        await openUp(path);
        await rm(path, { recursive: true, force: true, maxRetries: 2 });
      } catch (error) {
        this.#log.warn({ attemptId, path, err: error }, 'could not remove a scratch directory');
      }
    }
  }
}

/**
 * Whether a pid may name a process group to kill: `kill(-1)` would signal every process this user may
 * signal, and the agent's own group would take the agent down.
 */
function killable(pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 1 && pid !== process.pid;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is gone already.
  }
}

/** Make every directory under `path` writable and searchable by its owner (so it can be removed). */
async function openUp(path: string): Promise<void> {
  await chmod(path, 0o700);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.isDirectory()) await openUp(join(path, entry.name));
  }
}
