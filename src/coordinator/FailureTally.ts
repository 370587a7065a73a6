import type { pb } from '../protocol/index.ts';

/** One final task failure as the dashboard lists it: what went wrong and where, never the task's input. */
export interface RecentFailure {
  /** Task sequence number within the job. */
  seq: number;
  /** Index in the job's input of the failing item. */
  index: number;
  kind: string;
  name: string;
  /** The remote error's message, cut to {@link FailureTally.MESSAGE_CHARS}. */
  message: string;
  code: string;
  exitCode: number;
  signal: string;
  attempt: number;
  agent: string;
  atMs: number;
}

/**
 * A job's final failures counted by kind, plus the last few of them with their messages. Fed only
 * when a task fails for good (never on the success path) and bounded, so that a job with a million
 * failures costs the same few hundred bytes as one with ten.
 */
export class FailureTally {
  /** Failures kept with their message. */
  static readonly RECENT = 20;
  /** Characters kept of a failure's message (and of its name, code and signal). */
  static readonly MESSAGE_CHARS = 500;

  readonly #byKind = new Map<string, number>();
  #recent: RecentFailure[] = [];

  /** Counts a task's final failure and keeps it among the recent ones. */
  add(failure: pb.TaskFailure, where: { seq: number; firstIndex: number; attempt: number; agent: string }, atMs = Date.now()): void {
    // A failure without a kind is counted under 'unknown', as the Prometheus metrics do.
    const kind = cut(failure.kind || 'unknown');
    this.#byKind.set(kind, (this.#byKind.get(kind) ?? 0) + 1);
    if (this.#recent.length >= FailureTally.RECENT) this.#recent = this.#recent.slice(1 - FailureTally.RECENT);
    this.#recent.push({
      seq: where.seq,
      index: where.firstIndex + failure.itemOffset,
      kind,
      // Every text is cut, not only the message: a task's code chooses its error's name and code
      // (up to the result size limit, megabytes), and twenty of them are kept per job.
      name: cut(failure.name),
      message: cut(failure.message),
      code: cut(failure.code),
      exitCode: failure.exitCode,
      signal: cut(failure.signal),
      attempt: where.attempt,
      agent: where.agent,
      atMs,
    });
  }

  /** Failures per kind (`error`, `crashed`, `timeout`, …), kinds that never occurred absent. */
  byKind(): Record<string, number> {
    return Object.fromEntries(this.#byKind);
  }

  /** The last failures, newest first. */
  recent(): RecentFailure[] {
    return this.#recent.toReversed();
  }
}

/** `text` cut to {@link FailureTally.MESSAGE_CHARS} characters, marked with an ellipsis when cut. */
function cut(text: string): string {
  return text.length > FailureTally.MESSAGE_CHARS ? `${text.slice(0, FailureTally.MESSAGE_CHARS)}…` : text;
}
