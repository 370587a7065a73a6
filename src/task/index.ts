/**
 * The task side of drover: what a task function can know about the run it is part of, and what it can
 * ask of the agent running it (files from the blob store, a scratch directory, child processes that must
 * not outlive it). This module is tiny and imports nothing: every task bundle carries a copy of it.
 *
 * @example
 * // tasks.ts, shipped to agents by `pool.load(new URL('./tasks.ts', import.meta.url))`
 * import { context } from 'drover/task';
 * export async function simulate(seed: number) {
 *   console.error(`${context.worker} on ${context.agent} runs seed ${seed}, attempt ${context.attempt}`);
 *   context.progress({ phase: 'warm-up' });
 *   if (context.signal.aborted) return null;
 *   return seed * 2;
 * }
 *
 * @example
 * // A command as a task: stage an input file, run a program in a scratch directory, store its output.
 * import { spawn } from 'node:child_process';
 * import { copyFile } from 'node:fs/promises';
 * import { join } from 'node:path';
 * import { context, RetryableError } from 'drover/task';
 *
 * export async function convert(inputDigest: string) {
 *   const dir = await context.scratchDir();                 // fresh, private, removed after the attempt
 *   await copyFile(await context.fetchBlob(inputDigest), join(dir, 'in.xml'));  // cached copy is read-only
 *   const child = spawn('my-tool', ['in.xml', '-o', 'out.xml'], { cwd: dir, detached: true, stdio: 'ignore' });
 *   const untrack = context.trackChildProcess(child.pid!);  // killed with its group if the task dies or times out
 *   const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
 *   untrack();
 *   if (code !== 0) throw new RetryableError(`my-tool exited with ${code}`);  // worth another attempt
 *   return context.storeFile(join(dir, 'out.xml'));          // { digest, size }: the SDK can download it
 * }
 *
 * @module
 */

import { stageFiles as stageWith } from './stageFiles.ts';

/** The run a task function is part of, and the agent's services to it. */
export interface TaskContext {
  /** `${jobId}/${seq}`: unique per task, the same across attempts. */
  readonly taskId: string;
  readonly jobId: string;
  /** Task sequence number in the job (a chunk of items). */
  readonly seq: number;
  /**
   * Index, in the job's input, of the item being processed now. Read it while the item runs: the items of
   * a chunk given to a synchronous (not `async`) function share one context whose `index` moves along, so
   * a callback the function leaves behind without returning its promise (a timer, an event handler) sees
   * a later item's index. Capture it first (`const i = getContext().index`), or make the function `async`
   * (then each item gets a context of its own, at the cost of a per-item context switch).
   */
  readonly index: number;
  /** 1-based attempt number. */
  readonly attempt: number;
  /** Name of the agent (node) running the task. */
  readonly agent: string;
  /** Name of the worker process, like Python's `current_process().name`. */
  readonly worker: string;
  /** Aborted when the job is cancelled or the task times out. */
  readonly signal: AbortSignal;
  /** Send a progress value (any encodable value) to the caller's `onProgress`. */
  progress(value: unknown): void;
  /**
   * A blob of the coordinator's blob store (by its lowercase hex sha256 digest) as a local file: the
   * agent downloads it once into its on-disk cache, verifies it against the digest, and answers with
   * the cached file's absolute path. The file is shared by every task on the agent and read-only: copy
   * it (into {@link scratchDir}) to change it or to give it the name a program expects (it has no
   * extension). The agent fetches it on behalf of this task's job, with the job owner's rights: a
   * blob its owner did not upload (nor produce as an output of one of its jobs) answers as missing.
   * Rejects when the blob is missing, fails verification, or cannot be fetched.
   *
   * @example
   * const net = await context.fetchBlob(netDigest);
   * await symlink(net, join(await context.scratchDir(), 'net.net.xml'));
   */
  fetchBlob(digest: string): Promise<string>;
  /**
   * Upload a file to the coordinator's blob store and answer with its digest and size (skipping the
   * upload when the store already holds those bytes). A relative path is taken from the worker's
   * current directory (not the scratch directory: join it yourself). The path must name a regular file
   * (a symbolic link to one is followed); directories, pipes, devices and sockets are refused. It may
   * lie outside the scratch directory. Do not change the file until the promise settled.
   */
  storeFile(path: string): Promise<{ digest: string; size: number }>;
  /**
   * This attempt's scratch directory (absolute path), created on the first call (mode 0700, under the
   * agent's work directory); later calls in the same attempt, also for the other items of a chunk,
   * answer the same directory. The agent removes it when the attempt ends, however it ends (result,
   * error, crash, timeout, cancel), unless {@link keepScratch} was called.
   */
  scratchDir(): Promise<string>;
  /** Keep this attempt's scratch directory after the attempt; the agent logs its path (for debugging). */
  keepScratch(): void;
  /**
   * Tell the agent about a child process this task spawned as the leader of its own process group
   * (`spawn(cmd, args, { detached: true })`). When the attempt ends with the group still tracked — the
   * task returned or threw without waiting for it, or the worker crashed, timed out or was cancelled —
   * the agent kills the whole group (SIGKILL), so no command outlives its task. Call the returned
   * function once the child has exited, to stop tracking it. Throws a `TypeError` for a pid that is not
   * such a child of this worker (checked where `/proc` exists).
   */
  trackChildProcess(pid: number): () => void;
}

/**
 * Where the worker process publishes the current context. A global symbol, not a module
 * variable, because each task bundle carries its own copy of this module.
 */
export const TASK_CONTEXT_SLOT = Symbol.for('drover.task.context');

interface ContextSlot {
  current(): TaskContext | undefined;
}

function current(): TaskContext {
  const slot = (globalThis as Record<symbol, ContextSlot | undefined>)[TASK_CONTEXT_SLOT];
  const ctx = slot?.current();
  if (!ctx) {
    throw new Error('drover/task: `context` is only available while a drover worker runs a task function');
  }
  return ctx;
}

/** The current task's context; read it inside a task function (not at module load). */
export const context: TaskContext = {
  get taskId() { return current().taskId; },
  get jobId() { return current().jobId; },
  get seq() { return current().seq; },
  get index() { return current().index; },
  get attempt() { return current().attempt; },
  get agent() { return current().agent; },
  get worker() { return current().worker; },
  get signal() { return current().signal; },
  progress(value: unknown) { current().progress(value); },
  fetchBlob(digest: string) { return current().fetchBlob(digest); },
  storeFile(path: string) { return current().storeFile(path); },
  scratchDir() { return current().scratchDir(); },
  keepScratch() { current().keepScratch(); },
  trackChildProcess(pid: number) { return current().trackChildProcess(pid); },
};

/** Options of {@link RetryableError}. */
export interface RetryableErrorOptions {
  /** The underlying error (kept as `cause`). */
  cause?: unknown;
  /** Stable code of the failure, carried to the caller's `TaskError`; default `DROVER_RETRYABLE`. */
  code?: string;
}

/**
 * Throw this from a task when running it again may succeed (a flaky service, a port race, a simulator
 * that crashes at random): the attempt fails with `retryable` set, and the coordinator runs the task
 * again within the job's `retries`, as it does after a crash. Any error with `retryable === true`
 * counts the same, and so does an error whose `cause` chain leads to one (the nearest error in the
 * chain that has a boolean `retryable` decides, so `retryable: false` on a wrapper wins); this class is
 * a convenience. A string `code` on the error (or, failing that, along its chain) reaches the caller.
 *
 * @example
 * try { await runSimulation(seed); }
 * catch (e) { throw new RetryableError(`simulation ${seed} crashed`, { cause: e }); }
 */
export class RetryableError extends Error {
  readonly retryable = true;
  readonly code: string;

  constructor(message: string, options: RetryableErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RetryableError';
    this.code = options.code ?? 'DROVER_RETRYABLE';
  }
}


/**
 * Fetch blobs from the cluster's store and copy them into `dir` (normally the task's scratch
 * directory) under their relative names; names leaving `dir` are refused.
 *
 * @example
 * const dir = await context.scratchDir();
 * await stageFiles(dir, { 'net.net.xml': netDigest, 'scenario.sumocfg': cfgDigest });
 */
export function stageFiles(dir: string, files: Record<string, string>): Promise<void> {
  return stageWith(dir, files, (digest) => context.fetchBlob(digest));
}

export { resolveInside } from './resolveInside.ts';
