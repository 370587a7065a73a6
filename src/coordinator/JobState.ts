import type { Logger, pb } from '../protocol/index.ts';
import { TaskQueue } from './TaskQueue.ts';
import type { TaskRecord } from './TaskRecord.ts';
import type { AgentSession } from './AgentSession.ts';

/** Where a job's messages go: its client's `Jobs.Run` stream (or a test double). */
export interface JobSink {
  /** Sends one message; a no-op once the stream has closed. */
  send(message: pb.JobResponse): void;
  /** Ends the stream with an OK status (after `end`). */
  close(): void;
  /** Ends the stream with an error status: the coordinator cannot go on with the job. */
  abort(message: string): void;
}

/** Lifecycle of a job, as reported in `JobInfo.state`. */
export type JobLifecycle = 'open' | 'completed' | 'cancelled' | 'failed';

/** What a job was opened with, normalised. */
export interface JobSpec {
  id: string;
  name: string;
  function: pb.FunctionRef;
  requires: pb.Requirements | undefined;
  timeoutMs: number;
  retries: number;
  retryOnError: boolean;
}

/**
 * The coordinator's view of one open job: its queue of tasks waiting for an agent, counters
 * for `JobInfo`, and the results and progress gathered in this event-loop turn, waiting to be
 * flushed to the client as one batch.
 */
export class JobState {
  readonly id: string;
  readonly name: string;
  readonly function: pb.FunctionRef;
  readonly requires: pb.Requirements | undefined;
  /** Slots each task occupies on an agent (`requires.cpus`, at least 1). */
  readonly slots: number;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryOnError: boolean;
  readonly createdAtMs = Date.now();
  readonly sink: JobSink;
  readonly log: Logger;

  state: JobLifecycle = 'open';
  /** Tasks received from the client (also the next expected `seq`). */
  tasksSubmitted = 0;
  /** Tasks with a final result (success or failure). */
  tasksCompleted = 0;
  /** Tasks whose final result is a failure (a subset of `tasksCompleted`). */
  tasksFailed = 0;
  tasksRunning = 0;
  inputEnded = false;
  totalTasks = 0;

  readonly queue = new TaskQueue<TaskRecord>();
  /** Final results not yet sent to the client. */
  pendingResults: pb.TaskResult[] = [];
  /** Progress reports not yet sent to the client. */
  pendingProgress: pb.TaskProgress[] = [];
  /** Number of the last dispatch fill that took a task of this job (fair-share rotation). */
  servedInFill = 0;
  /** Requirement matching per agent session, computed once per pair. */
  readonly eligibility = new WeakMap<AgentSession, boolean>();

  constructor(spec: JobSpec, sink: JobSink, log: Logger) {
    this.id = spec.id;
    this.name = spec.name;
    this.function = spec.function;
    this.requires = spec.requires;
    this.slots = Math.max(1, spec.requires?.cpus ?? 0);
    this.timeoutMs = spec.timeoutMs;
    this.retries = spec.retries;
    this.retryOnError = spec.retryOnError;
    this.sink = sink;
    this.log = log;
  }

  /** Every task has a final result and the client said there are no more. */
  get isDone(): boolean {
    return this.inputEnded && this.tasksCompleted === this.totalTasks;
  }

  /** The job as `Jobs.Get` reports it. */
  info(): pb.JobInfo {
    return {
      jobId: this.id,
      name: this.name,
      state: this.state,
      tasksSubmitted: this.tasksSubmitted,
      tasksCompleted: this.tasksCompleted,
      tasksFailed: this.tasksFailed,
      tasksRunning: this.tasksRunning,
      createdAtMs: this.createdAtMs,
      inputEnded: this.inputEnded,
    };
  }
}
