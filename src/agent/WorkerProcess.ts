import { fork, type ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import { isSea } from 'node:sea';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FailureMessage, GroupedRun, ParentMessage, ResultMessage, ResultsMessage, RunGroup, RunsMessage, WorkerMessage } from './worker/messages.ts';
import { workerChannelCodec } from './worker/workerChannelCodec.ts';
import { SEA_WORKER_ARGUMENT } from './worker/SEA_WORKER_ARGUMENT.ts';
import { HANDOFF_BYTES } from './worker/HANDOFF_BYTES.ts';
import { quoteNodeOptions } from './quoteNodeOptions.ts';
import { WorkerHandoff } from './WorkerHandoff.ts';

/** How much of a worker's stderr is kept to explain a crash. */
const STDERR_TAIL_BYTES = 4096;
/** After SIGTERM, a worker that has not exited within this gets SIGKILL. */
const KILL_GRACE_MS = 2000;
/** After the exit, how long to wait for the last stderr bytes still in the pipe. */
const STDERR_DRAIN_MS = 200;

/**
 * Set (to the path of `worker.mjs` relative to the bundle) only in an esbuild bundle of drover
 * (scripts/buildDist.ts): a bundled agent forks the bundled worker, which starts in ~40 ms and ~50 MB,
 * where the type-stripped sources take ~85 ms and ~80 MB, and which also runs under `node_modules`,
 * where Node strips no types.
 */
declare const __DROVER_WORKER_BUNDLE__: string | undefined;

const WORKER_ENTRY =
  typeof __DROVER_WORKER_BUNDLE__ === 'string'
    ? fileURLToPath(new URL(__DROVER_WORKER_BUNDLE__, pathToFileURL(import.meta.filename)))
    : fileURLToPath(new URL('./worker/workerMain.ts', import.meta.url));

/**
 * A worker's environment: the agent's, without the malloc settings the agent gives itself at start-up
 * (src/cli/longRunningSettings.js) unless they were the user's own. With them every payload-sized buffer
 * of a worker is a fresh mapping, paid in page faults on each task: half of a no-op worker's CPU on 1M
 * items (issue 5).
 */
function workerEnv(): NodeJS.ProcessEnv {
  if (process.env.DROVER_OWN_MALLOC_TUNABLES !== '1') return process.env;
  const env = { ...process.env };
  delete env.GLIBC_TUNABLES;
  delete env.DROVER_OWN_MALLOC_TUNABLES;
  return env;
}

/** A single-executable worker's Node flags: the user's NODE_OPTIONS (which the binary does not read itself) and `flags`. */
function seaNodeOptions(flags: readonly string[]): string[] {
  const options = [(process.env.NODE_OPTIONS ?? '').trim(), quoteNodeOptions(flags)].filter(Boolean).join(' ');
  return options ? [`--node-options=${options}`] : [];
}

/** How a worker process ended. */
export interface WorkerExit {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Last ~4 KiB of its stderr. */
  stderrTail: string;
}

/** Options of {@link WorkerProcess}. */
export interface WorkerProcessOptions {
  /** `worker-N`; a replacement keeps its predecessor's name. */
  name: string;
  /** Node flags for the worker (e.g. `--max-old-space-size=512`); never the parent's. */
  execArgv?: string[];
  /** Forward the worker's stderr to this process's stderr (default true). */
  forwardStderr?: boolean;
  /** Past this RSS after a task, the worker starts nothing more and gives back what it was sent (0 = no limit). */
  maxRssBytes?: number;
  /** Run the worker as this user and group (the agent must be root); default the agent's. */
  uid?: number;
  gid?: number;
  /** Added to this process's niceness for the worker (capped at 19); default 0. */
  nice?: number;
  /**
   * Under this directory the worker gets a handoff directory of its own, through which inputs and results
   * over `HANDOFF_BYTES` go as files (see {@link WorkerHandoff}); not for a worker of another user (`uid`).
   * Default: none, everything through the IPC pipe.
   */
  handoffDir?: string;
  onMessage(worker: WorkerProcess, message: WorkerMessage): void;
  /** Called once, after the process exited and its stderr was read to the end. */
  onExit(worker: WorkerProcess, exit: WorkerExit): void;
}

/**
 * One forked worker process: the channel to it, its stderr tail (kept to explain crashes) and the
 * SIGTERM-then-SIGKILL escalation. It knows nothing of tasks; {@link WorkerPool} does.
 */
export class WorkerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** True once the worker said `ready`. */
  ready = false;
  /** Set once the agent decided to end it: its messages are ignored from then on. */
  dying = false;
  /** Resolves after `onExit` ran. */
  readonly exited: Promise<void>;

  #stderr: Buffer[] = [];
  #stderrBytes = 0;
  #killTimer: NodeJS.Timeout | undefined;
  #alive = true;
  readonly #handoff: WorkerHandoff | undefined;

  constructor(options: WorkerProcessOptions) {
    this.name = options.name;
    const forward = options.forwardStderr ?? true;
    // execArgv is explicit so that flags of the parent (a test runner's loaders, --inspect) do not leak in.
    // A single executable is its own worker (see SEA_WORKER_ARGUMENT) and takes Node flags only from a
    // first `--node-options=` argument (see seaMain.ts): the user's NODE_OPTIONS and the workers' flags go there.
    const sea = isSea();
    this.#handoff = options.handoffDir !== undefined && options.uid === undefined ? WorkerHandoff.create(options.handoffDir) : undefined;
    this.child = fork(sea ? SEA_WORKER_ARGUMENT : WORKER_ENTRY, [String(options.maxRssBytes ?? 0), this.#handoff?.dir ?? ''], {
      execPath: process.execPath,
      execArgv: sea ? seaNodeOptions(options.execArgv ?? []) : (options.execArgv ?? []),
      env: workerEnv(),
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
    });
    if (options.nice !== undefined && options.nice > 0 && this.child.pid !== undefined) lowerPriority(this.child.pid, options.nice);
    this.child.stderr!.on('data', (chunk: Buffer) => {
      if (forward) process.stderr.write(chunk);
      this.#keepStderr(chunk);
    });
    this.child.on('message', (bytes: unknown) => {
      const message = decodeWorkerMessage(bytes);
      if (message === undefined) return;
      if (message.type === 'results') {
        if (!this.dying) for (const r of message.results) options.onMessage(this, r.type === 'result' ? this.#takeValue(r) : r);
        return;
      }
      if (message.type === 'result' && !this.dying) {
        options.onMessage(this, this.#takeValue(message));
        return;
      }
      if (message.type === 'ready') this.ready = true;
      // Once dying, only notes pass: a child process tracked in the last moments must still be killed.
      if (!this.dying || message.type === 'note') options.onMessage(this, message);
    });
    // A failed send (the child just died) surfaces as 'error' on the child; the exit handler covers it.
    this.child.on('error', () => {});
    this.exited = new Promise<void>((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.#alive = false;
        clearTimeout(this.#killTimer);
        const stderr = this.child.stderr!;
        const report = () => {
          clearTimeout(drainTimer);
          this.#handoff?.remove();
          options.onExit(this, { code, signal, stderrTail: this.stderrTail() });
          resolve();
        };
        const drainTimer = setTimeout(report, STDERR_DRAIN_MS);
        if (stderr.closed || stderr.destroyed) report();
        else stderr.once('close', report);
      });
    });
  }

  /** Whether the process has not exited yet. */
  get alive(): boolean {
    return this.#alive;
  }

  /** Send a message; false when the channel is already closed (the exit will follow). */
  send(message: ParentMessage): boolean {
    if (!this.child.connected) return false;
    this.child.send(message.type === 'runs' && this.#handoff !== undefined && message.groups.some(hasLargeRun) ? this.#handOff(message) : message);
    return true;
  }

  /** The message with its large payloads written to the handoff directory instead (those for which that worked). */
  #handOff(message: RunsMessage): RunsMessage {
    const handoff = this.#handoff!;
    const runOf = (run: GroupedRun): GroupedRun => {
      if (run.payload.byteLength <= HANDOFF_BYTES) return run;
      const payloadFile = handoff.writeInput(run.attemptId, run.payload);
      return payloadFile === undefined ? run : { ...run, payload: new Uint8Array(0), payloadFile };
    };
    return { ...message, groups: message.groups.map((g) => (hasLargeRun(g) ? { ...g, runs: g.runs.map(runOf) } : g)) };
  }

  /** A result whose value the worker handed over as a file, with the value read back (or the failure to). */
  #takeValue(result: ResultMessage): ResultMessage | FailureMessage {
    const name = result.valueFile;
    if (name === undefined) return result;
    try {
      if (this.#handoff === undefined) throw new Error('this worker has no handoff directory');
      return { type: 'result', attemptId: result.attemptId, value: this.#handoff.readResult(name), rss: result.rss };
    } catch (error) {
      return {
        type: 'failure', attemptId: result.attemptId, kind: 'internal', name: 'Error',
        message: `the worker handed its result over in a file the agent could not read: ${(error as Error).message}`,
        stack: '', itemOffset: 0, retryable: false, code: '', rss: result.rss,
      };
    }
  }

  /** SIGTERM now, SIGKILL if it is still there after the grace period. */
  terminate(): void {
    this.dying = true;
    if (!this.#alive) return;
    this.child.kill('SIGTERM');
    this.#killTimer ??= setTimeout(() => this.kill(), KILL_GRACE_MS);
  }

  /** SIGKILL now. */
  kill(): void {
    this.dying = true;
    if (this.#alive) this.child.kill('SIGKILL');
  }

  /** The last ~4 KiB the worker wrote to stderr. */
  stderrTail(): string {
    const all = Buffer.concat(this.#stderr);
    return all.subarray(Math.max(0, all.length - STDERR_TAIL_BYTES)).toString('utf8');
  }

  #keepStderr(chunk: Buffer): void {
    this.#stderr.push(chunk);
    this.#stderrBytes += chunk.length;
    // Compact now and then rather than on every chunk: keep between 4 and 8 KiB.
    if (this.#stderrBytes > 2 * STDERR_TAIL_BYTES) {
      const all = Buffer.concat(this.#stderr);
      const tail = Buffer.from(all.subarray(all.length - STDERR_TAIL_BYTES));
      this.#stderr = [tail];
      this.#stderrBytes = tail.length;
    }
  }
}

/**
 * A message from the worker (workerChannelCodec), or undefined for anything else on the channel: a
 * task's own `process.send(...)`, which is not drover's to act on.
 */
function decodeWorkerMessage(bytes: unknown): WorkerMessage | ResultsMessage | undefined {
  if (!(bytes instanceof Uint8Array)) return undefined;
  let message: unknown;
  try {
    message = workerChannelCodec.decode(bytes);
  } catch {
    return undefined;
  }
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string' ? (message as WorkerMessage | ResultsMessage) : undefined;
}

/** Whether a payload of the group goes by file (a message of tiny tasks is sent as it is, not copied). */
function hasLargeRun(group: RunGroup): boolean {
  for (const run of group.runs) if (run.payload.byteLength > HANDOFF_BYTES) return true;
  return false;
}

/**
 * Niceness `nice` above this process's own for `pid`, right after the fork: before the worker has
 * loaded anything, so every task (and any command it starts) runs at it. Raising niceness needs no
 * privilege; a worker already gone (failed exec) is left to its exit handler.
 */
function lowerPriority(pid: number, nice: number): void {
  try {
    setPriority(pid, Math.min(19, getPriority() + nice));
  } catch {
    // ESRCH: it exited already; the exit is reported as any other.
  }
}
