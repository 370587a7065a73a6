import { randomBytes } from 'node:crypto';
import type { Logger, pb } from '../protocol/index.ts';
import { AgentSession, type AgentSink } from './AgentSession.ts';
import { JobState, type JobSink, type JobSpec } from './JobState.ts';
import { matchesRequirements } from './matchesRequirements.ts';
import { TaskRecord } from './TaskRecord.ts';

/** Options for {@link Scheduler}. */
export interface SchedulerOptions {
  logger: Logger;
  /** Payload bytes above which a batch is split into several messages; default 1 MiB. */
  maxBatchBytes?: number;
  /** How many finished jobs `Jobs.Get`/`List` still know about; default 1000. */
  finishedJobsKept?: number;
}

/** A job's spec before it has an id (`id` empty or absent: the scheduler makes one). */
export type JobOpening = Omit<JobSpec, 'id'> & { id?: string };

/** Bytes a result or progress entry adds to a batch besides its value (field tags, ids, names). */
const ENTRY_OVERHEAD = 64;

/**
 * The coordinator's core, free of gRPC so that it can be tested with plain sinks: jobs and their
 * queues, agent sessions and their credit, attempts and their fencing, retries, and the batching of
 * everything that crosses a stream.
 *
 * Work is moved in passes rather than per event: anything that could let a task move (new input,
 * new credit, a re-queue, an agent joining) schedules one dispatch pass with `setImmediate`, which
 * sends at most one `assign` message per agent (split only to keep messages near `maxBatchBytes`).
 * Results and progress gathered during one event-loop turn are flushed the same way, one message
 * per job. A tiny task therefore never costs a gRPC message of its own.
 *
 * Fair share: when filling an agent's credit, the pass takes one task at a time round-robin across
 * the jobs that have queued work and that the agent can run, starting with the job served least
 * recently, so a huge job submitted first cannot starve a small one submitted later.
 */
export class Scheduler {
  private readonly log: Logger;
  private readonly maxBatchBytes: number;
  private readonly finishedJobsKept: number;
  private readonly jobs = new Map<string, JobState>();
  /** Infos of finished jobs, oldest first, bounded by `finishedJobsKept`. */
  private readonly finishedJobs = new Map<string, pb.JobInfo>();
  private readonly sessions = new Map<string, AgentSession>();
  /** Jobs with queued tasks, in the order they should be served (least recently served first). */
  private readonly queuedJobs = new Set<JobState>();
  /** Jobs with results or progress to flush, or that may have just completed. */
  private readonly dirtyJobs = new Set<JobState>();
  private dispatchHandle: NodeJS.Immediate | undefined;
  private flushHandle: NodeJS.Immediate | undefined;
  private attemptCounter = 0;
  private fillCounter = 0;
  private tasksCompletedTotal = 0;
  private closed = false;

  constructor(options: SchedulerOptions) {
    this.log = options.logger;
    this.maxBatchBytes = options.maxBatchBytes ?? 1024 * 1024;
    this.finishedJobsKept = options.finishedJobsKept ?? 1000;
  }

  /** Whether {@link shutdown} was called: no new jobs or sessions are taken. */
  get isShutDown(): boolean {
    return this.closed;
  }

  // ---------------------------------------------------------------- jobs

  /** Whether a job id is taken by an open job or a finished job still remembered. */
  hasJob(jobId: string): boolean {
    return this.jobs.has(jobId) || this.finishedJobs.has(jobId);
  }

  /** Opens a job and sends `opened` on its sink. The caller checks that a chosen id is free. */
  openJob(opening: JobOpening, sink: JobSink): JobState {
    const id = opening.id || this.newJobId();
    const job = new JobState({ ...opening, id }, sink, this.log.child({ jobId: id }));
    this.jobs.set(id, job);
    sink.send({ msg: { $case: 'opened', value: { jobId: id } } });
    job.log.info({ name: job.name, export: job.function.exportName, retries: job.retries }, 'job opened');
    return job;
  }

  /** The open job with this id, if any. */
  openJobById(jobId: string): JobState | undefined {
    return this.jobs.get(jobId);
  }

  /**
   * Queues a batch of a job's tasks. The caller has validated them (consecutive `seq`, input not
   * ended); tasks for a job that is no longer open are dropped.
   */
  addInputs(job: JobState, inputs: readonly pb.TaskInput[]): void {
    if (job.state !== 'open' || inputs.length === 0) return;
    for (const input of inputs) {
      job.queue.push(new TaskRecord(job, input.seq, input.payload, input.items, input.firstIndex));
    }
    job.tasksSubmitted += inputs.length;
    this.queuedJobs.add(job);
    if (job.log.isLevelEnabled('debug')) job.log.debug({ tasks: inputs.length, queued: job.queue.length }, 'inputs queued');
    this.scheduleDispatch();
  }

  /** The client sent `InputEnd`: the job completes once every task has a final result. */
  endInput(job: JobState, totalTasks: number): void {
    if (job.state !== 'open') return;
    job.inputEnded = true;
    job.totalTasks = totalTasks;
    this.markDirty(job);
  }

  /**
   * Cancels an open job: drops its queued tasks, asks agents to stop its running attempts (whose
   * results will then be fenced off), flushes results already gathered, sends `end{cancelled}`
   * and ends the job's stream. Returns false when the job is not open.
   */
  cancelJob(job: JobState, message: string): boolean {
    if (job.state !== 'open') return false;
    job.state = 'cancelled';
    const dropped = job.queue.drain().length;
    this.queuedJobs.delete(job);
    let stopped = 0;
    for (const session of this.sessions.values()) {
      let attemptIds: string[] | undefined;
      for (const [attemptId, record] of session.running) {
        if (record.job !== job) continue;
        session.running.delete(attemptId);
        (attemptIds ??= []).push(attemptId);
      }
      if (attemptIds) {
        stopped += attemptIds.length;
        session.sink.send({ msg: { $case: 'cancel', value: { attemptIds } } });
      }
    }
    job.tasksRunning = 0;
    this.sendPending(job);
    job.sink.send({ msg: { $case: 'end', value: { state: 'cancelled', message } } });
    job.sink.close();
    job.log.info({ dropped, stopped, reason: message }, 'job cancelled');
    this.retire(job);
    return true;
  }

  /** `Jobs.Get`: an open job or a remembered finished one. */
  jobInfo(jobId: string): pb.JobInfo | undefined {
    return this.jobs.get(jobId)?.info() ?? this.finishedJobs.get(jobId);
  }

  /** `Jobs.List`: open jobs and remembered finished ones, oldest first. */
  listJobs(): pb.JobInfo[] {
    const infos = [...this.finishedJobs.values()];
    for (const job of this.jobs.values()) infos.push(job.info());
    return infos.sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  // ---------------------------------------------------------------- agent sessions

  /** Registers an agent session and sends `registered`; it takes work once it grants credit. */
  addSession(register: pb.Register, sink: AgentSink): AgentSession {
    const sessionId = `s-${randomBytes(6).toString('base64url')}`;
    const session = new AgentSession(sessionId, register, sink, this.log.child({ agent: register.name, sessionId }));
    this.sessions.set(sessionId, session);
    sink.send({ msg: { $case: 'registered', value: { sessionId } } });
    const capacity = session.capacity;
    session.log.info(
      { slots: capacity.slots, cpus: capacity.cpus, memoryMb: capacity.memoryMb, sumo: capacity.sumoVersion || undefined, version: session.version },
      'agent joined',
    );
    return session;
  }

  /** Adds to a session's credit (grants are cumulative). */
  grantCredit(session: AgentSession, tasks: number): void {
    if (!this.sessions.has(session.sessionId) || tasks <= 0) return;
    session.credit += tasks;
    this.scheduleDispatch();
  }

  /** Records a heartbeat's load report. */
  heartbeat(session: AgentSession, heartbeat: pb.Heartbeat): void {
    session.reportedRunning = heartbeat.running;
    session.reportedQueued = heartbeat.queued;
    session.lastHeartbeatMs = Date.now();
  }

  /** Sends `Drain` to a session: it gets no new assignments. Returns false for an unknown session. */
  drainSession(sessionId: string): boolean {
    const session = this.sessions.get(sessionId);
    if (!session) return false;
    if (!session.draining) {
      session.draining = true;
      session.sink.send({ msg: { $case: 'drain', value: {} } });
      session.log.info('agent draining');
    }
    return true;
  }

  /**
   * A batch of attempt results from a session. Each result is matched by attempt id against the
   * attempts this session runs: anything else (a cancelled, re-queued or already finished attempt,
   * or another session's) is discarded. Infrastructure failures are retried within the job's budget.
   */
  handleResults(session: AgentSession, results: readonly pb.AttemptResult[]): void {
    let discarded = 0;
    let retried = 0;
    for (const result of results) {
      const record = session.running.get(result.attemptId);
      if (record === undefined) {
        discarded += 1;
        continue;
      }
      session.running.delete(result.attemptId);
      record.job.tasksRunning -= 1;
      record.session = null;
      record.attemptId = '';
      const outcome = result.outcome;
      if (outcome === undefined) {
        this.complete(record, internalFailure('the agent sent a result with neither value nor failure'), session.name, result.worker);
      } else if (outcome.$case === 'failure' && this.shouldRetry(record, outcome.value.kind)) {
        retried += 1;
        this.requeue(record);
      } else {
        this.complete(record, outcome, session.name, result.worker);
      }
    }
    if (session.log.isLevelEnabled('debug')) {
      session.log.debug({ results: results.length, discarded, retried }, 'results received');
    }
  }

  /** A batch of progress reports from a session, forwarded to the owning jobs (fenced like results). */
  handleProgress(session: AgentSession, progress: readonly pb.AttemptProgress[]): void {
    for (const report of progress) {
      const record = session.running.get(report.attemptId);
      if (record === undefined) continue;
      record.job.pendingProgress.push({ seq: record.seq, value: report.value, agent: session.name, worker: report.worker });
      this.markDirty(record.job);
    }
  }

  /**
   * A session ended (stream closed or broken): its running attempts go back to the front of their
   * jobs' queues with attempt+1, or, with no retry left, finish as failures of kind `lost`.
   */
  removeSession(session: AgentSession, reason: string): void {
    if (!this.sessions.delete(session.sessionId)) return;
    let requeued = 0;
    let lost = 0;
    for (const record of session.running.values()) {
      record.job.tasksRunning -= 1;
      record.session = null;
      record.attemptId = '';
      if (record.job.state !== 'open') continue;
      if (this.shouldRetry(record, 'lost')) {
        requeued += 1;
        this.requeue(record);
      } else {
        lost += 1;
        const message = `agent "${session.name}" (session ${session.sessionId}) was lost while running the task (attempt ${record.attempt}): ${reason}`;
        this.complete(record, { $case: 'failure', value: failure('lost', 'AgentLostError', message) }, session.name, '');
      }
    }
    session.running.clear();
    session.credit = 0;
    session.log.info({ requeued, lost, reason }, 'agent left');
  }

  /** `Admin.ListAgents`. */
  listAgents(): pb.AgentInfo[] {
    return [...this.sessions.values()].map((session) => session.info());
  }

  /**
   * `Admin.Stats`. `tasksCompleted` counts every task that got a final result (success or
   * failure) since the coordinator started, like `JobInfo.tasksCompleted` does per job.
   */
  stats(): pb.StatsResponse {
    let slots = 0;
    let tasksRunning = 0;
    for (const session of this.sessions.values()) {
      slots += session.capacity.slots;
      tasksRunning += session.running.size;
    }
    let tasksQueued = 0;
    const jobs: pb.JobInfo[] = [];
    for (const job of this.jobs.values()) {
      tasksQueued += job.queue.length;
      jobs.push(job.info());
    }
    return {
      agents: this.sessions.size,
      slots,
      tasksQueued,
      tasksRunning,
      tasksCompleted: this.tasksCompletedTotal,
      jobsOpen: this.jobs.size,
      jobs,
    };
  }

  /**
   * Stops scheduling and ends every stream: open jobs are aborted (their clients see the
   * coordinator going away), agent sessions are closed. Used when the coordinator stops.
   */
  shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.dispatchHandle) clearImmediate(this.dispatchHandle);
    if (this.flushHandle) clearImmediate(this.flushHandle);
    this.dispatchHandle = this.flushHandle = undefined;
    for (const job of [...this.jobs.values()]) {
      job.state = 'failed';
      job.queue.drain();
      job.sink.abort('the coordinator is shutting down');
      this.retire(job);
    }
    for (const session of this.sessions.values()) {
      session.running.clear();
      session.sink.close();
    }
    this.sessions.clear();
    this.queuedJobs.clear();
    this.dirtyJobs.clear();
  }

  // ---------------------------------------------------------------- internals

  private newJobId(): string {
    for (;;) {
      const id = `j-${randomBytes(6).toString('base64url')}`;
      if (!this.hasJob(id)) return id;
    }
  }

  /** Crashes and lost agents are retried within the budget; errors only when the job asks. */
  private shouldRetry(record: TaskRecord, kind: string): boolean {
    const job = record.job;
    if (job.state !== 'open' || record.attempt > job.retries) return false;
    if (kind === 'crashed' || kind === 'lost') return true;
    return kind === 'error' && job.retryOnError;
  }

  /** Back to the front of the job's queue; the next assignment makes it attempt+1. */
  private requeue(record: TaskRecord): void {
    record.job.queue.unshift(record);
    this.queuedJobs.add(record.job);
    this.scheduleDispatch();
  }

  /** Records a task's final result for the next flush; the record (and payload) is then unreferenced. */
  private complete(record: TaskRecord, outcome: NonNullable<pb.TaskResult['outcome']>, agent: string, worker: string): void {
    const job = record.job;
    if (job.state !== 'open') return;
    job.tasksCompleted += 1;
    if (outcome.$case === 'failure') job.tasksFailed += 1;
    this.tasksCompletedTotal += 1;
    job.pendingResults.push({ seq: record.seq, outcome, attempt: record.attempt, agent, worker });
    this.markDirty(job);
  }

  private eligible(job: JobState, session: AgentSession): boolean {
    let ok = job.eligibility.get(session);
    if (ok === undefined) {
      ok = matchesRequirements(job.requires, session.capacity);
      job.eligibility.set(session, ok);
    }
    return ok;
  }

  private scheduleDispatch(): void {
    if (this.dispatchHandle !== undefined || this.closed) return;
    this.dispatchHandle = setImmediate(this.runDispatch);
  }

  private readonly runDispatch = (): void => {
    this.dispatchHandle = undefined;
    try {
      this.dispatch();
    } catch (error) {
      this.log.error({ err: error }, 'dispatch pass failed');
    }
  };

  /** One dispatch pass: fill every session's credit from the queued jobs it can run. */
  private dispatch(): void {
    if (this.queuedJobs.size === 0) return;
    for (const session of this.sessions.values()) {
      if (session.credit > 0 && !session.draining) this.fill(session);
      if (this.queuedJobs.size === 0) break;
    }
  }

  private fill(session: AgentSession): void {
    const eligible: JobState[] = [];
    for (const job of this.queuedJobs) if (this.eligible(job, session)) eligible.push(job);
    if (eligible.length === 0) return;
    // Jobs in the order they are served here, so that they can go to the back of the line after.
    const served: JobState[] = [];
    const fillNumber = ++this.fillCounter;
    let batch: pb.Assignment[] = [];
    let batchBytes = 0;
    let assigned = 0;
    let i = 0;
    while (session.credit > 0 && eligible.length > 0) {
      if (i >= eligible.length) i = 0;
      const job = eligible[i];
      const record = job.queue.shift()!;
      if (job.queue.length === 0) {
        this.queuedJobs.delete(job);
        eligible.splice(i, 1);
      } else {
        i += 1;
      }
      if (job.servedInFill !== fillNumber) {
        job.servedInFill = fillNumber;
        served.push(job);
      }

      const attemptId = (++this.attemptCounter).toString(36);
      record.attempt += 1;
      record.attemptId = attemptId;
      record.session = session;
      session.running.set(attemptId, record);
      session.credit -= 1;
      job.tasksRunning += 1;
      assigned += 1;

      const size = record.payload.length + ENTRY_OVERHEAD;
      if (batch.length > 0 && batchBytes + size > this.maxBatchBytes) {
        session.sink.send({ msg: { $case: 'assign', value: { tasks: batch } } });
        batch = [];
        batchBytes = 0;
      }
      batch.push({
        attemptId,
        jobId: job.id,
        seq: record.seq,
        attempt: record.attempt,
        function: job.function,
        payload: record.payload,
        items: record.items,
        timeoutMs: job.timeoutMs,
        slots: job.slots,
        firstIndex: record.firstIndex,
      });
      batchBytes += size;
    }
    if (batch.length > 0) session.sink.send({ msg: { $case: 'assign', value: { tasks: batch } } });
    // Served jobs that still have work go to the back: the next fill starts with the others.
    for (const job of served) {
      if (this.queuedJobs.delete(job)) this.queuedJobs.add(job);
    }
    if (session.log.isLevelEnabled('debug')) {
      session.log.debug({ assigned, jobs: served.length, credit: session.credit }, 'assigned');
    }
  }

  private markDirty(job: JobState): void {
    this.dirtyJobs.add(job);
    if (this.flushHandle !== undefined || this.closed) return;
    this.flushHandle = setImmediate(this.runFlush);
  }

  private readonly runFlush = (): void => {
    this.flushHandle = undefined;
    const jobs = [...this.dirtyJobs];
    this.dirtyJobs.clear();
    for (const job of jobs) {
      try {
        if (job.state !== 'open') continue;
        this.sendPending(job);
        if (job.isDone) this.finish(job);
      } catch (error) {
        job.log.error({ err: error }, 'flushing results failed');
      }
    }
  };

  /** Sends a job's gathered progress, then its results, as few messages as the size bound allows. */
  private sendPending(job: JobState): void {
    if (job.pendingProgress.length > 0) {
      const progress = job.pendingProgress;
      job.pendingProgress = [];
      for (const part of splitBySize(progress, this.maxBatchBytes, (p) => p.value.length + ENTRY_OVERHEAD)) {
        job.sink.send({ msg: { $case: 'progress', value: { progress: part } } });
      }
    }
    if (job.pendingResults.length > 0) {
      const results = job.pendingResults;
      job.pendingResults = [];
      const parts = splitBySize(results, this.maxBatchBytes, resultSize);
      for (const part of parts) job.sink.send({ msg: { $case: 'results', value: { results: part } } });
      if (job.log.isLevelEnabled('debug')) job.log.debug({ results: results.length, messages: parts.length }, 'results sent');
    }
  }

  private finish(job: JobState): void {
    job.state = 'completed';
    job.sink.send({ msg: { $case: 'end', value: { state: 'completed', message: '' } } });
    job.sink.close();
    job.log.info({ tasks: job.totalTasks, failed: job.tasksFailed }, 'job completed');
    this.retire(job);
  }

  /** Forgets an ended job's tasks, keeping its info (bounded) for `Get`/`List`. */
  private retire(job: JobState): void {
    this.jobs.delete(job.id);
    this.queuedJobs.delete(job);
    this.dirtyJobs.delete(job);
    job.pendingResults = [];
    job.pendingProgress = [];
    this.finishedJobs.set(job.id, job.info());
    if (this.finishedJobs.size > this.finishedJobsKept) {
      this.finishedJobs.delete(this.finishedJobs.keys().next().value!);
    }
  }
}

function failure(kind: string, name: string, message: string): pb.TaskFailure {
  return { kind, name, message, stack: '', itemOffset: 0, exitCode: 0, signal: '', stderrTail: '' };
}

function internalFailure(message: string): NonNullable<pb.TaskResult['outcome']> {
  return { $case: 'failure', value: failure('internal', 'InternalError', message) };
}

function resultSize(result: pb.TaskResult): number {
  const outcome = result.outcome;
  if (outcome === undefined) return ENTRY_OVERHEAD;
  if (outcome.$case === 'value') return outcome.value.length + ENTRY_OVERHEAD;
  const f = outcome.value;
  return f.name.length + f.message.length + f.stack.length + f.stderrTail.length + ENTRY_OVERHEAD;
}

/** Splits entries into consecutive groups of at most `limit` estimated bytes (an oversized entry goes alone). */
function splitBySize<T>(entries: T[], limit: number, sizeOf: (entry: T) => number): T[][] {
  let total = 0;
  for (const entry of entries) total += sizeOf(entry);
  if (total <= limit) return [entries];
  const parts: T[][] = [];
  let part: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = sizeOf(entry);
    if (part.length > 0 && bytes + size > limit) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(entry);
    bytes += size;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}
