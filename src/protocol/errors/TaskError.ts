import { DroverError } from './DroverError.ts';

/** Why a task failed; see `TaskFailure.kind` in proto/drover/v1/common.proto. */
export type TaskFailureKind =
  | 'error'
  | 'crashed'
  | 'timeout'
  | 'oom'
  | 'cancelled'
  | 'lost'
  | 'unschedulable'
  | 'internal';

/** What the SDK knows about a failed task. */
export interface TaskErrorDetails {
  kind: TaskFailureKind;
  /** Name, message and stack of the error thrown inside the worker (kind `error`). */
  remoteName: string;
  remoteMessage: string;
  remoteStack: string;
  /** Index of the failing item in the job's input. */
  index: number;
  /** 1-based attempt that failed. */
  attempt: number;
  agent: string;
  worker: string;
  exitCode?: number;
  signal?: string;
  stderrTail?: string;
  /** The remote error's own `code`, when it had one (e.g. `DROVER_SUMO_CRASH`). */
  remoteCode?: string;
}

/** The remote error, rebuilt on the caller's side so that its stack prints. */
class RemoteError extends Error {
  constructor(name: string, message: string, stack: string) {
    super(message);
    this.name = name;
    this.stack = stack || `${name}: ${message}`;
  }
}

/**
 * A task failed: its function threw, its worker crashed or timed out, or it could not run.
 * `map` rejects with it; `imap` throws it at the failing item. The remote error is `cause`.
 *
 * @example
 * try { await pool.map(tasks.parse, files); }
 * catch (e) { if (e instanceof TaskError) console.error(e.index, e.remoteStack); }
 */
export class TaskError extends DroverError implements TaskErrorDetails {
  readonly kind: TaskFailureKind;
  readonly remoteName: string;
  readonly remoteMessage: string;
  readonly remoteStack: string;
  readonly index: number;
  readonly attempt: number;
  readonly agent: string;
  readonly worker: string;
  readonly exitCode?: number;
  readonly signal?: string;
  readonly stderrTail?: string;
  readonly remoteCode?: string;

  constructor(details: TaskErrorDetails) {
    super('DROVER_TASK_FAILED', TaskError.describe(details), {
      cause: new RemoteError(details.remoteName || 'Error', details.remoteMessage, details.remoteStack),
    });
    this.kind = details.kind;
    this.remoteName = details.remoteName;
    this.remoteMessage = details.remoteMessage;
    this.remoteStack = details.remoteStack;
    this.index = details.index;
    this.attempt = details.attempt;
    this.agent = details.agent;
    this.worker = details.worker;
    if (details.exitCode !== undefined) this.exitCode = details.exitCode;
    if (details.signal !== undefined) this.signal = details.signal;
    if (details.stderrTail !== undefined) this.stderrTail = details.stderrTail;
    if (details.remoteCode !== undefined) this.remoteCode = details.remoteCode;
  }

  private static describe(d: TaskErrorDetails): string {
    const where = d.agent ? ` on ${d.agent}${d.worker ? `/${d.worker}` : ''}` : '';
    const head = `task for item ${d.index} failed${where} (attempt ${d.attempt}, kind ${d.kind})`;
    switch (d.kind) {
      case 'error':
        return `${head}: ${d.remoteName}: ${d.remoteMessage}`;
      case 'crashed': {
        const how = d.signal ? `killed by ${d.signal}` : `exited with code ${d.exitCode ?? '?'}`;
        const tail = d.stderrTail ? `\nworker stderr (tail):\n${d.stderrTail}` : '';
        return `${head}: worker process ${how} while running it. ${d.remoteMessage}${tail}`;
      }
      default:
        return `${head}: ${d.remoteMessage}`;
    }
  }
}
