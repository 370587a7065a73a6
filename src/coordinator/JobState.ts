import { pb, type EncodedResultBatch, type Logger } from '../protocol/index.ts';
import type { AgentSession } from './AgentSession.ts';
import { FailureTally } from './FailureTally.ts';
import type { JobRow } from './store/JobRow.ts';
import { TaskQueue } from './TaskQueue.ts';
import type { TaskRecord } from './TaskRecord.ts';

/** Where a job's messages go: the client's `Jobs.Run` stream attached to it (or a test double). */
export interface JobSink {
  /**
   * Sends one message; a no-op once the stream has closed. Results go as an {@link EncodedResultBatch}:
   * the bytes stored for them, not encoded again.
   */
  send(message: pb.JobResponse | EncodedResultBatch): void;
  /**
   * Ends the stream with an OK status (after `end`): once the client has half-closed its side —
   * which proves it read everything before — or after a short wait.
   */
  close(): void;
  /**
   * Ends the stream with an error status: `unavailable` (default; the client may re-attach) or
   * `aborted` (another stream attached to the job).
   */
  abort(message: string, code?: 'unavailable' | 'aborted'): void;
}

/** Lifecycle of a job, as reported in `JobInfo.state`. */
export type JobLifecycle = 'open' | 'completed' | 'cancelled' | 'failed';

/** What a job was opened with, normalised. */
export interface JobSpec {
  id: string;
  name: string;
  /** Principal that opened the job: only it (and admins) may see, attach to or cancel it. */
  owner: string;
  function: pb.FunctionRef;
  requires: pb.Requirements | undefined;
  timeoutMs: number;
  retries: number;
  retryOnError: boolean;
  /**
   * With agents connected but none able to ever run the job's tasks, how long its queued tasks
   * wait for a suitable agent before they fail as `unschedulable` (0: at once).
   */
  unschedulableWaitMs: number;
  /**
   * Results of this job the scheduler may hold to commit and send together (`OpenJob.results_batch_max`;
   * 0: none, each goes out with the first commit after it).
   */
  resultsBatchMax: number;
}

/** The job spec an `OpenJob` asks for (the message is already validated: it names a function). */
export function jobSpecOf(open: pb.OpenJob, id: string, owner: string): JobSpec {
  return {
    id,
    name: open.name,
    owner,
    function: open.function!,
    requires: open.requires,
    timeoutMs: open.timeoutMs,
    retries: open.retries,
    retryOnError: open.retryOnError,
    unschedulableWaitMs: open.unschedulableWaitMs,
    resultsBatchMax: open.resultsBatchMax,
  };
}

/**
 * The coordinator's view of one job that is open, or completed with results its client has not
 * confirmed yet: its queue of tasks waiting for an agent, counters for `JobInfo`, where delivery
 * stands (`lastRseq`, `receivedRseq`), the client stream attached to it (if any), and what the
 * current event-loop turn gathered for it, sent after the turn's commit.
 */
export class JobState {
  /** Store key. */
  readonly no: number;
  readonly id: string;
  readonly name: string;
  /** Principal that opened the job (`''` on a coordinator without tokens). */
  readonly owner: string;
  readonly function: pb.FunctionRef;
  readonly requires: pb.Requirements | undefined;
  /** Slots each task occupies on an agent (`requires.cpus`, at least 1). */
  readonly slots: number;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryOnError: boolean;
  readonly unschedulableWaitMs: number;
  readonly resultsBatchMax: number;
  readonly createdAtMs: number;
  /** The spec as stored (`drover.v1.OpenJob`). */
  readonly specBytes: Uint8Array;
  readonly log: Logger;

  state: JobLifecycle = 'open';
  /** When the job stopped being open (0 while open, -1 when unknown: restored already ended). Not stored. */
  endedAtMs = 0;
  /** Why the job ended, for `end{cancelled}` on a later attach. */
  endMessage = '';
  /** Tasks received from the client (also the next expected `seq`). */
  tasksSubmitted = 0;
  /** Tasks held durably: what `inputs_accepted` and `opened.tasks_accepted` report. */
  tasksCommitted = 0;
  /** `tasksCommitted` as last told to the attached client (`inputs_accepted` is sent only when it grew). */
  tasksAcceptedSent = 0;
  /** Tasks with a final result (success or failure). */
  tasksCompleted = 0;
  /** Tasks whose final result is a failure (a subset of `tasksCompleted`). */
  tasksFailed = 0;
  /** Those failures by kind, with the latest messages (for the dashboard; not stored). */
  readonly failures = new FailureTally();
  /** Attempts assigned or orphaned (their agent's grace period runs), without a result yet. */
  tasksRunning = 0;
  inputEnded = false;
  /** `InputEnd` is durable (what `opened.input_ended` reports on attach). */
  inputEndCommitted = false;
  totalTasks = 0;
  /** Delivery sequence of the last result (results are numbered from 1 as they become durable). */
  lastRseq = 0;
  /** The client confirmed every result through this rseq. */
  receivedRseq = 0;
  /** Tasks and results deleted (only the info row is left). */
  purged = false;

  /** The client stream attached to the job; null while detached. */
  sink: JobSink | null = null;
  /** When the job lost its last client stream (0 while attached). */
  detachedAtMs = 0;
  /** The stream `end{completed}` went to; its client half-closing afterwards confirms delivery. */
  endSentTo: JobSink | null = null;

  readonly queue = new TaskQueue<TaskRecord>();
  /**
   * Final results not sent yet (each an encoded `TaskResult`, the bytes stored for it): this turn's, or
   * held (see `resultsBatchMax`); sent to the attached client once committed.
   */
  pendingResults: Uint8Array[] = [];
  /** Bytes {@link pendingResults} take in a message (their own, plus a tag and length each). */
  pendingResultBytes = 0;
  /** One of {@link pendingResults} is a failure: it is not held (a `map` rejects on its first failure). */
  pendingFailure = false;
  /** Progress reports not yet sent to the client. */
  pendingProgress: pb.TaskProgress[] = [];
  /** Inputs or InputEnd arrived this turn: `inputs_accepted` follows the commit. */
  inputsDirty = false;
  /** Number of the last dispatch fill that took a task of this job (fair-share rotation). */
  servedInFill = 0;
  /** When the job's queued tasks started waiting for an agent able to run them (0: not waiting). */
  unschedulableSinceMs = 0;
  /** The scheduler's agents epoch in which a connected agent able to run the job was seen (-1: none yet). */
  suitableEpoch = -1;
  /** Requirement matching per agent session, computed once per pair. */
  readonly eligibility = new WeakMap<AgentSession, boolean>();

  constructor(spec: JobSpec, no: number, log: Logger, createdAtMs = Date.now()) {
    this.no = no;
    this.id = spec.id;
    this.name = spec.name;
    this.owner = spec.owner;
    this.function = spec.function;
    this.requires = spec.requires;
    this.slots = Math.max(1, spec.requires?.cpus ?? 0);
    this.timeoutMs = spec.timeoutMs;
    this.retries = spec.retries;
    this.retryOnError = spec.retryOnError;
    this.unschedulableWaitMs = spec.unschedulableWaitMs;
    this.resultsBatchMax = spec.resultsBatchMax;
    this.createdAtMs = createdAtMs;
    this.log = log;
    this.specBytes = pb.OpenJob.encode({
      function: spec.function,
      name: spec.name,
      requires: spec.requires,
      timeoutMs: spec.timeoutMs,
      retries: spec.retries,
      retryOnError: spec.retryOnError,
      jobId: spec.id,
      unschedulableWaitMs: spec.unschedulableWaitMs,
      resultsBatchMax: spec.resultsBatchMax,
    }).finish();
  }

  /** A job as it was stored (counters and delivery state restored; tasks are loaded separately). */
  static fromRow(row: JobRow, log: Logger): JobState {
    const open = pb.OpenJob.decode(row.spec);
    const job = new JobState(
      { ...jobSpecOf(open, row.id, row.owner), name: row.name },
      row.no,
      log,
      row.createdAtMs,
    );
    job.state = row.state;
    if (row.state !== 'open') job.endedAtMs = -1;
    job.endMessage = row.endMessage;
    job.tasksSubmitted = job.tasksCommitted = job.tasksAcceptedSent = row.tasksSubmitted;
    job.inputEnded = job.inputEndCommitted = row.inputEnded;
    job.totalTasks = row.totalTasks;
    job.tasksCompleted = row.tasksCompleted;
    job.tasksFailed = row.tasksFailed;
    job.lastRseq = row.lastRseq;
    job.receivedRseq = row.receivedRseq;
    job.purged = row.purged;
    return job;
  }

  /** Forgets the pending results (sent, or the job ended). */
  clearPendingResults(): void {
    this.pendingResults = [];
    this.pendingResultBytes = 0;
    this.pendingFailure = false;
  }

  /** Every task has a final result and the client said there are no more. */
  get isDone(): boolean {
    return this.inputEnded && this.tasksCompleted === this.totalTasks;
  }

  /** The job's store row, as it is now. */
  toRow(): JobRow {
    return {
      no: this.no,
      id: this.id,
      name: this.name,
      owner: this.owner,
      spec: this.specBytes,
      state: this.state,
      endMessage: this.endMessage,
      createdAtMs: this.createdAtMs,
      tasksSubmitted: this.tasksSubmitted,
      inputEnded: this.inputEnded,
      totalTasks: this.totalTasks,
      tasksCompleted: this.tasksCompleted,
      tasksFailed: this.tasksFailed,
      lastRseq: this.lastRseq,
      receivedRseq: this.receivedRseq,
      purged: this.purged,
    };
  }

  /** The job as `Jobs.Get` reports it. */
  info(): pb.JobInfo {
    return {
      ...JobState.infoOf(this.toRow(), this.tasksRunning),
      tasksQueued: this.queue.length,
      requires: this.requires,
      failuresByKind: this.failures.byKind(),
    };
  }

  /** `JobInfo` from a stored row (running tasks are not stored: 0 unless given). */
  static infoOf(row: JobRow, tasksRunning = 0): pb.JobInfo {
    return {
      tasksQueued: 0,
      totalTasks: row.totalTasks,
      requires: undefined,
      failuresByKind: {},
      endMessage: row.endMessage,
      jobId: row.id,
      name: row.name,
      state: row.state,
      tasksSubmitted: row.tasksSubmitted,
      tasksCompleted: row.tasksCompleted,
      tasksFailed: row.tasksFailed,
      tasksRunning,
      createdAtMs: row.createdAtMs,
      inputEnded: row.inputEnded,
      owner: row.owner,
    };
  }
}
