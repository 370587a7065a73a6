import { randomBytes } from 'node:crypto';
import { EncodedResultBatch, encodeTaskResult, pb, TASK_TOO_LARGE_CODE, type Logger } from '../protocol/index.ts';
import { AgentSession, type AgentSink } from './AgentSession.ts';
import { JobState, type JobSink, type JobSpec } from './JobState.ts';
import type { AgentSummary } from './AgentSummary.ts';
import { FailureTally } from './FailureTally.ts';
import type { JobSummary } from './JobSummary.ts';
import { describeUnschedulable, matchesRequirements } from './matchesRequirements.ts';
import { CoordinatorStore } from './store/CoordinatorStore.ts';
import type { JobRow } from './store/JobRow.ts';
import type { TaskMetrics } from './TaskMetrics.ts';
import { TaskRecord } from './TaskRecord.ts';

/** Options for {@link Scheduler}. */
export interface SchedulerOptions {
  logger: Logger;
  /** Where state is committed; default an in-memory store. The scheduler closes it on `shutdown()`. */
  store?: CoordinatorStore;
  /** Payload bytes above which a batch is split into several messages; default 1 MiB. */
  maxBatchBytes?: number;
  /**
   * Commits in the store's WAL from which a pause of commits checkpoints it; default 256 (about
   * SQLite's own 1,000-page threshold for small commits). Fewer, and a job of long tasks would sync
   * the disk after nearly every result.
   */
  idleCheckpointCommits?: number;
  /** How many finished jobs `Jobs.Get`/`List` still know about; default 1000. */
  finishedJobsKept?: number;
  /** An agent session that sends nothing for this long is dead; default 15 000 ms. */
  leaseMs?: number;
  /** How long a gone session's attempts wait for their agent to come back; default 5000 ms. */
  agentGraceMs?: number;
  /** A job with no client stream attached for this long is cancelled; default 10 min. */
  detachedJobTtlMs?: number;
  /** Told about every final result (latency histograms, failures by kind); none by default. */
  metrics?: TaskMetrics;
  /**
   * Results a job may have sent (or stored for a detached client) without the client confirming
   * them (`results_received`) before its dispatch pauses; default unbounded. Bounds what a client
   * that never reads makes the coordinator hold.
   */
  maxUnreadResults?: number;
  /**
   * The largest task payload the coordinator accepts (`--max-task-bytes`): a larger task fails at
   * once, unrun (code `DROVER_TASK_TOO_LARGE`), and clients are told it in `opened` so that they
   * refuse one before sending it; default 0 (no limit, not said).
   */
  maxTaskBytes?: number;
}

/** A job's spec before it has an id (`id` empty or absent: the scheduler makes one). */
export type JobOpening = Omit<JobSpec, 'id'> & { id?: string };

/** What `restore()` found in the store. */
export interface RestoreSummary {
  /** Jobs open or awaiting delivery, now attachable. */
  jobs: number;
  /** Tasks queued again. */
  queued: number;
  /** Tasks that were running: their attempts wait `agentGraceMs` for their agents. */
  running: number;
  /** Ended jobs remembered for `Get`/`List`. */
  finished: number;
}

/** An attempt whose session is gone: it waits for its agent until `deadline`, then is re-queued. */
interface Orphan {
  record: TaskRecord;
  deadline: number;
  reason: string;
  /**
   * The principal of the session that held it: only a session of the same principal (and agent
   * name) may take it back. Undefined for attempts restored after a coordinator restart.
   */
  principal: string | undefined;
}

/** What is left of an ended job whose rows were purged. */
interface FinishedJob {
  no: number;
  info: pb.JobInfo;
  endMessage: string;
  function: pb.FunctionRef | undefined;
  failures: FailureTally;
  /** 0 when unknown (the job ended before a coordinator restart). */
  endedAtMs: number;
}

/** An agent whose connection broke: until its grace ends it may come back, so it still counts as able to run what it could. */
interface GoneAgent {
  capacity: pb.Capacity;
  untilMs: number;
}

/** Bytes a result or progress entry adds to a batch besides its value (field tags, ids, names). */
const ENTRY_OVERHEAD = 64;
/** A result's tag and length inside a batch, at most (a length up to 2^35 takes five bytes). */
const RESULT_FRAMING_BYTES = 6;
/** Attempt ids per `results_accepted` message. */
const MAX_ACK_IDS = 50_000;
/** Attempt ids an assignment carries at most (more go in a `results_accepted` of their own, keeping assignments near `maxBatchBytes`). */
const MAX_ACK_IDS_WITH_ASSIGN = 4096;
/** An assignment that carries no acknowledgements. */
const NO_IDS: string[] = [];
/** The stored payload of a task refused for its size: it never runs, and its bytes are not kept. */
const EMPTY_PAYLOAD = Buffer.alloc(0);
/**
 * Longest wait of an acknowledgement nothing is waiting for (`results_accepted` to an agent that gets
 * no assignment in the same turn, `inputs_accepted` to a client that gets no results in it) for a
 * message it can go out with. Each is a separate wake-up of the receiving process otherwise: a
 * sequential `apply` paid two per call. Only memory waits for them (the agent's unacknowledged results,
 * the client's replay buffer), and both resume from the store after a crash either way.
 */
const DEFERRED_ACK_MS = 5;
/**
 * Longest a job's results are held to be committed and sent together (`OpenJob.results_batch_max`: its
 * client reads none before the job ends). Where results trickle in (a `map` of 64 tasks of 4 ms on two
 * workers), each would otherwise cost a commit, a message to the client and a wake-up of its process.
 * Holding them 20 ms cut `drover local`'s CPU per such map from ~16 to ~9–12 ms and the SDK's from ~6 to
 * ~4 ms; 100 ms cut another ~5 ms and ~2.5 ms (commits per map ~10 → ~3, measured side by side; 300 ms
 * gained nothing more). The job's last result is never held, so a `map` ends no later; only its
 * progress (`onProgress`) moves in steps of up to this long. Short enough that a coordinator crash re-runs
 * little work: the held results are not durable, so their tasks run again (at most this long of each
 * slot's work).
 */
const RESULT_HOLD_MS = 100;
/**
 * How long an agent may hold a result of such a job (`Assignment.result_wait_ms`) to send it with later
 * ones, while it has tasks queued: the results would wait here anyway, and each message held back is a
 * turn less on both sides (the agent's send, this scheduler's `handleResults`, dispatch and assignment).
 * Measured per P4 map (64 tasks of 4 ms, `drover local`; 6 alternating pairs): agent flushes ~64 → ~19,
 * `drover local` ~16.5 → ~15.4 ms of CPU (a small gain, within the noise of single pairs). Well below the ~20 ms of
 * work an agent keeps queued per worker (its prefetch), which its held credit must not run dry.
 */
const AGENT_RESULT_WAIT_MS = 10;
/** Acknowledgements a session collects before they are sent without waiting for an assignment. */
const DEFERRED_ACKS_MAX = 1024;
const MAX_COMMIT_RETRY_MS = 2000;
/**
 * Commit-free time after which the store's WAL is checkpointed (once it holds
 * `idleCheckpointCommits`): the checkpoint's syncs then cost no call its latency (under sustained
 * load SQLite checkpoints at the WAL's cap instead).
 */
const IDLE_CHECKPOINT_MS = 100;
/** Longest delay `setTimeout` honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The coordinator's core, free of gRPC so that it can be tested with plain sinks: jobs and their
 * queues, agent sessions and their credit, attempts and their fencing, leases and grace periods,
 * retries, the durable store, and the batching of everything that crosses a stream.
 *
 * Work moves in **turns**: anything that could let a task move or that must be written (new input,
 * new credit, results, a re-queue, an agent joining) schedules one turn with `setImmediate`. A turn
 * (1) runs a dispatch pass that fills every agent's credit (at most one `assign` message per agent,
 * split only to keep messages near `maxBatchBytes`), (2) commits everything gathered since the last
 * turn in **one transaction**, and only then (3) sends what that commit made true: results to the
 * jobs' clients with their `rseq` (one message per job), `inputs_accepted` to clients,
 * `results_accepted` to agents, and the assignments. A tiny task therefore never costs a gRPC
 * message or a transaction of its own, and nothing is acknowledged or delivered before it is durable.
 *
 * Fair share: when filling an agent's credit, the pass takes one task at a time round-robin across
 * the jobs that have queued work and that the agent can run, starting with the job served least
 * recently, so a huge job submitted first cannot starve a small one submitted later.
 *
 * Nothing hangs silently: when agents are connected but none of them could ever run a job's tasks
 * (requirement matching, as for dispatch), the job's queued tasks wait `unschedulableWaitMs` for a
 * suitable agent to join, then fail with kind `unschedulable` and a message naming the unmet
 * requirements and what the connected agents offer. With no agent connected at all (draining ones
 * do not count) tasks simply queue. The check runs when a job gets queued tasks and whenever the set
 * of agents changes. An agent whose connection broke still counts until its grace ends (it may be
 * back in a moment; one that closed its stream does not), and after a restart that restored jobs,
 * agents get `agentGraceMs` to reconnect before anything is declared unschedulable.
 *
 * Retries: `crashed` and `lost` attempts, and any failure the agent marks `retryable`, run again
 * within the job's `retries`; `error` too when the job has `retryOnError`. When the budget is spent
 * the last failure is the task's result, unchanged.
 *
 * Attempts belong to an agent *name* across its sessions. When a session ends (stream closed,
 * broken, or its lease expired) its attempts are orphaned for `agentGraceMs`: the same agent
 * registering again and listing them in `running_attempt_ids` keeps them, and those it does not
 * list are re-queued with attempt+1 at once; all are re-queued when the grace ends. A result is accepted only for the task's current attempt id,
 * from the agent that holds it; anything else is fenced off (and still acknowledged).
 *
 * A job outlives its client stream: results accumulate in the store until a stream attaches again
 * (`attachJob`, replaying results after the client's last rseq). A job with no stream for
 * `detachedJobTtlMs` is cancelled.
 */
export class Scheduler {
  private readonly log: Logger;
  private readonly store: CoordinatorStore;
  private readonly maxBatchBytes: number;
  private readonly idleCheckpointCommits: number;
  private readonly finishedJobsKept: number;
  private readonly leaseMs: number;
  private readonly agentGraceMs: number;
  private readonly detachedJobTtlMs: number;
  private readonly metrics: TaskMetrics | undefined;
  private readonly maxUnreadResults: number;
  private readonly maxTaskBytes: number;
  /** Makes attempt ids unique across coordinator restarts (stored attempt ids outlive a process). */
  private readonly bootId = randomBytes(4).toString('base64url');
  /** Jobs open, or completed with results not confirmed by their client. */
  private readonly jobs = new Map<string, JobState>();
  /** Purged jobs, oldest first, bounded by `finishedJobsKept`. */
  private readonly finishedJobs = new Map<string, FinishedJob>();
  private readonly sessions = new Map<string, AgentSession>();
  private readonly sessionsByName = new Map<string, AgentSession>();
  /**
   * Sessions that have credit and are not draining, longest waiting first: a dispatch pass visits
   * only these, so its cost does not grow with agents that have nothing to take.
   */
  private readonly hungry = new Set<AgentSession>();
  /** Every current attempt (running on a session or orphaned), by attempt id: the fence. */
  private readonly attempts = new Map<string, TaskRecord>();
  /** Attempts whose session is gone, in deadline order. */
  private readonly orphans = new Map<string, Orphan>();
  /** Jobs with queued tasks, in the order they should be served (least recently served first). */
  private readonly queuedJobs = new Set<JobState>();
  /** Jobs with something to send after the next commit, or that may have just completed. */
  private turnJobs = new Set<JobState>();
  /** Sessions with acknowledgements to send after the next commit. */
  private readonly ackSessions = new Set<AgentSession>();
  /** Sessions and jobs whose committed acknowledgements wait for a message to go with ({@link DEFERRED_ACK_MS}). */
  private readonly deferredAckSessions = new Set<AgentSession>();
  private readonly deferredAcceptJobs = new Set<JobState>();
  private deferredTimer: NodeJS.Timeout | undefined;
  /** Armed while results are held ({@link RESULT_HOLD_MS}); cleared by every commit. */
  private holdTimer: NodeJS.Timeout | undefined;
  /** The deferred timer fired: the next delivery sends every deferred acknowledgement. */
  private deferredDue = false;
  /** Sessions with assignments to send after the next commit. */
  private readonly outboxSessions = new Set<AgentSession>();
  /** Bumped whenever the set of agents able to take work changes (join, leave, drain). */
  private agentsEpoch = 0;
  /** Jobs whose queued tasks are checked for a suitable agent in the next turn. */
  private readonly checkJobs = new Set<JobState>();
  /** Jobs waiting for a suitable agent (`unschedulableSinceMs` set). */
  private readonly waitingJobs = new Set<JobState>();
  /** Agents whose connection broke, by name, until their grace ends. */
  private readonly goneAgents = new Map<string, GoneAgent>();
  /** Before this time nothing is declared unschedulable (agents reconnecting after a restart). */
  private settleUntilMs = 0;
  private unschedulableTimer: NodeJS.Timeout | undefined;
  private unschedulableTimerAtMs = 0;
  private readonly ticker: NodeJS.Timeout;
  private turnHandle: NodeJS.Immediate | undefined;
  private orphanTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Fires when the store's oldest unwritten first attempt is due to be written (see CoordinatorStore.updateTask). */
  private attemptTimer: NodeJS.Timeout | undefined;
  /** Re-armed by every commit; fires once commits pause for {@link IDLE_CHECKPOINT_MS}. */
  private checkpointTimer: NodeJS.Timeout | undefined;
  private commitFailures = 0;
  private attemptCounter = 0;
  private fillCounter = 0;
  private tasksCompletedTotal = 0;
  private fencedTotal = 0;
  private commitsTotal = 0;
  private restored = false;
  private closed = false;

  constructor(options: SchedulerOptions) {
    this.log = options.logger;
    this.store = options.store ?? CoordinatorStore.open();
    this.maxBatchBytes = options.maxBatchBytes ?? 1024 * 1024;
    this.idleCheckpointCommits = Math.max(1, options.idleCheckpointCommits ?? 256);
    this.finishedJobsKept = options.finishedJobsKept ?? 1000;
    this.leaseMs = options.leaseMs ?? 15_000;
    this.agentGraceMs = options.agentGraceMs ?? 5000;
    this.detachedJobTtlMs = options.detachedJobTtlMs ?? 10 * 60_000;
    this.metrics = options.metrics;
    this.maxUnreadResults = options.maxUnreadResults ?? Number.POSITIVE_INFINITY;
    this.maxTaskBytes = options.maxTaskBytes ?? 0;
    const period = Math.max(10, Math.min(1000, Math.min(this.leaseMs, this.detachedJobTtlMs) / 4));
    this.ticker = setInterval(this.tick, period);
    this.ticker.unref();
  }

  /** Whether {@link shutdown} was called: no new jobs or sessions are taken. */
  get isShutDown(): boolean {
    return this.closed;
  }

  /** How often agents must send something (`Registered.heartbeat_ms`): a third of the lease. */
  get heartbeatMs(): number {
    return Math.max(1, Math.floor(this.leaseMs / 3));
  }

  /** Results discarded because their attempt was not current (since start). */
  get fencedResults(): number {
    return this.fencedTotal;
  }

  /** Transactions committed (since start). */
  get commits(): number {
    return this.commitsTotal;
  }

  /**
   * Loads what the store holds, once, before any client or agent is served: every job not purged
   * becomes attachable; an open job's tasks without a final result are queued again, except those
   * that were running, which keep their attempt for `agentGraceMs` so that their agents, reconnecting,
   * can keep them.
   */
  restore(): RestoreSummary {
    if (this.restored) throw new Error('Scheduler.restore() was already called');
    this.restored = true;
    const now = Date.now();
    const deadline = now + this.agentGraceMs;
    const summary: RestoreSummary = { jobs: 0, queued: 0, running: 0, finished: 0 };
    for (const stored of this.store.loadJobs()) {
      const row = this.failIfResultsLost(stored);
      if (row.purged || row.state === 'cancelled' || row.state === 'failed') {
        if (!row.purged) {
          const purged: JobRow = { ...row, purged: true };
          this.store.purgeJob(row.no);
          this.store.putJob({ no: row.no, toRow: () => purged });
        }
        this.remember({ no: row.no, info: JobState.infoOf(row), endMessage: row.endMessage, function: pb.OpenJob.decode(row.spec).function, failures: new FailureTally(), endedAtMs: 0 });
        summary.finished += 1;
        continue;
      }
      const job = JobState.fromRow(row, this.log.child({ jobId: row.id }));
      job.detachedAtMs = now;
      let queued = 0;
      let running = 0;
      if (job.state === 'open') {
        for (const task of this.store.tasksOf(job.no)) {
          const payload = Buffer.from(task.payload.buffer, task.payload.byteOffset, task.payload.byteLength);
          const record = new TaskRecord(job, task.seq, payload, task.items, task.firstIndex);
          record.attempt = task.attempt;
          if (task.lostPayloadFile !== undefined) {
            // Running it on no input would only fail later with a puzzling decode error.
            this.complete(record, internalFailure(
              `the coordinator lost this task's input (${task.lostPayloadFile} was not on disk after it restarted: ` +
                "an OS crash or power loss before the file was synced; a coordinator made with synchronous: 'full' syncs each one first). " +
                'Submit these items again.',
            ), '', '');
            continue;
          }
          if (task.attemptId) {
            record.attemptId = task.attemptId;
            record.agent = task.agent;
            this.attempts.set(task.attemptId, record);
            this.orphans.set(task.attemptId, { record, deadline, reason: 'the coordinator restarted while it ran', principal: undefined });
            job.tasksRunning += 1;
            running += 1;
          } else {
            job.queue.push(record);
            queued += 1;
          }
        }
        if (queued > 0) this.queuedJobs.add(job);
        if (job.isDone) this.turnJobs.add(job);
      }
      this.jobs.set(job.id, job);
      if (queued > 0) this.checkJobs.add(job);
      summary.jobs += 1;
      summary.queued += queued;
      summary.running += running;
      job.log.info({ state: job.state, queued, running, completed: job.tasksCompleted, lastRseq: job.lastRseq }, 'job restored');
    }
    // Agents reconnect within their grace: until then, no job is unschedulable for want of them.
    if (summary.jobs > 0) this.settleUntilMs = now + this.agentGraceMs;
    this.scheduleOrphanSweep();
    this.scheduleTurn();
    return summary;
  }

  /**
   * A restored job some of whose stored results an OS crash lost (their run's file was not synced):
   * it can no longer deliver them, so it ends as failed, saying which files and what to do, rather
   * than replay the rest and leave its client short. Any other job as it is.
   */
  private failIfResultsLost(row: JobRow): JobRow {
    if (row.purged || row.state === 'cancelled' || row.state === 'failed') return row;
    const lost = this.store.lostResultFiles(row.no, row.receivedRseq);
    if (lost.length === 0) return row;
    const endMessage =
      `the coordinator lost results of this job (${lost.join(', ')} not on disk after it restarted: ` +
      "an OS crash or power loss before the file was synced; a coordinator made with synchronous: 'full' syncs each one first). " +
      'Run the job again.';
    this.log.error({ jobId: row.id, files: lost }, 'job failed: stored results lost');
    return { ...row, state: 'failed', endMessage };
  }

  // ---------------------------------------------------------------- jobs

  /** Whether a job id is taken by a job held or a finished job still remembered. */
  hasJob(jobId: string): boolean {
    return this.jobs.has(jobId) || this.finishedJobs.has(jobId);
  }

  /**
   * Opens a job with `sink` attached and answers `opened` at once. The caller checks that a chosen id
   * is free.
   *
   * `opened` promises nothing durable (`tasks_accepted` is 0): the job's row goes with the commit of its
   * first tasks, which may wait to be joined with their results (see {@link commitCanWait}), so its
   * first task starts without a commit before it. After a crash before that commit the client finds no
   * job when it re-attaches and opens it again, with the same id, from its replay buffer.
   */
  openJob(opening: JobOpening, sink: JobSink): JobState {
    const id = opening.id || this.newJobId();
    const job = new JobState({ ...opening, id }, this.store.allocateJobNo(), this.log.child({ jobId: id }));
    job.sink = sink;
    sink.send({ msg: { $case: 'opened', value: { jobId: id, tasksAccepted: 0, inputEnded: false, maxTaskBytes: this.maxTaskBytes } } });
    this.jobs.set(id, job);
    this.store.putJob(job);
    this.touch(job);
    job.log.info({ name: job.name, export: job.function.exportName, retries: job.retries }, 'job opened');
    return job;
  }

  /**
   * Attaches a client stream to an existing job: sends `opened` (with what is durable), replays the
   * stored results after `afterRseq` in rseq order, then the stream gets the job's results live
   * (or `end` at once when the job is complete). A stream already attached is ended with `aborted`.
   * For a job already purged, sends `opened` and its `end`. Returns undefined for an unknown job.
   */
  attachJob(jobId: string, afterRseq: number, sink: JobSink): JobState | 'ended' | undefined {
    if (this.closed) return undefined;
    const job = this.jobs.get(jobId);
    if (job === undefined) {
      const finished = this.finishedJobs.get(jobId);
      if (finished === undefined) return undefined;
      const info = finished.info;
      sink.send({ msg: { $case: 'opened', value: { jobId, tasksAccepted: info.tasksSubmitted, inputEnded: info.inputEnded, maxTaskBytes: this.maxTaskBytes } } });
      sink.send({ msg: { $case: 'end', value: { state: info.state, message: finished.endMessage } } });
      sink.close();
      return 'ended';
    }
    const previous = job.sink;
    job.sink = sink;
    job.detachedAtMs = 0;
    if (previous !== null) previous.abort(`job ${job.id} was attached by another stream`, 'aborted');
    job.tasksAcceptedSent = job.tasksCommitted;
    sink.send({ msg: { $case: 'opened', value: { jobId, tasksAccepted: job.tasksCommitted, inputEnded: job.inputEndCommitted, maxTaskBytes: this.maxTaskBytes } } });
    // Committed results only: this turn's results (higher rseqs) follow after their commit.
    let replayed = 0;
    let batch: Uint8Array[] = [];
    let bytes = 0;
    // Never what the client confirmed (it may still be stored, in a run partly received).
    for (const stored of this.store.resultsAfter(job.no, Math.max(afterRseq, job.receivedRseq))) {
      const size = encodedResultSize(stored.result);
      if (batch.length > 0 && bytes + size > this.maxBatchBytes) {
        sink.send(new EncodedResultBatch(batch));
        batch = [];
        bytes = 0;
      }
      batch.push(stored.result);
      bytes += size;
      replayed += 1;
    }
    if (batch.length > 0) sink.send(new EncodedResultBatch(batch));
    job.log.info({ afterRseq, replayed, lastRseq: job.lastRseq, tasksAccepted: job.tasksCommitted, state: job.state }, 'client attached');
    if (job.state === 'completed') this.sendEnd(job, sink);
    return job;
  }

  /**
   * A client stream went away (cancelled, broken, replaced): the job goes on and its results
   * accumulate until a stream attaches again, for at most `detachedJobTtlMs`.
   */
  detach(job: JobState, sink: JobSink, reason: string): void {
    if (this.closed || job.sink !== sink) return;
    job.sink = null;
    job.detachedAtMs = Date.now();
    if (job.state === 'open') job.log.info({ reason, ttlMs: this.detachedJobTtlMs }, 'client detached; the job goes on');
  }

  /**
   * The client half-closed `sink`. After `end{completed}` on that stream, it has read every result:
   * the job's rows are deleted.
   */
  clientEnded(job: JobState, sink: JobSink): void {
    if (this.closed) return;
    if (job.state === 'completed' && job.endSentTo === sink && !job.purged) this.purge(job, 'the client read every result');
  }

  /** The job held (open, or completed and awaiting its client), if any. */
  jobById(jobId: string): JobState | undefined {
    return this.jobs.get(jobId);
  }

  /**
   * Queues a batch of a job's tasks. The caller has validated them (consecutive `seq` from
   * `tasksSubmitted`, duplicates removed, input not ended); tasks for a job no longer open are dropped.
   */
  addInputs(job: JobState, inputs: readonly pb.TaskInput[]): void {
    if (this.closed || job.state !== 'open' || inputs.length === 0) return;
    for (const input of inputs) {
      if (this.maxTaskBytes > 0 && input.payload.length > this.maxTaskBytes) {
        this.refuseOversized(job, input);
        continue;
      }
      const record = new TaskRecord(job, input.seq, input.payload, input.items, input.firstIndex);
      job.queue.push(record);
      this.store.putTask(record);
    }
    job.tasksSubmitted += inputs.length;
    job.inputsDirty = true;
    this.store.putJob(job);
    this.queuedJobs.add(job);
    if (job.suitableEpoch !== this.agentsEpoch) this.checkJobs.add(job);
    this.touch(job);
    if (job.log.isLevelEnabled('debug')) job.log.debug({ tasks: inputs.length, queued: job.queue.length }, 'inputs queued');
  }

  /**
   * A task over `maxTaskBytes` fails alone, at once, and its payload is never stored: ending the job
   * stream instead would fail every call in flight on an apply session, and a client learns the limit
   * (to refuse such a task itself) only from the first `opened`, which its first tasks do not wait for.
   */
  private refuseOversized(job: JobState, input: pb.TaskInput): void {
    const record = new TaskRecord(job, input.seq, EMPTY_PAYLOAD, input.items, input.firstIndex);
    // Put and (by complete) deleted before one commit: no task row is written, only its result.
    this.store.putTask(record);
    const items = input.items === 1 ? `item ${input.firstIndex}` : `items ${input.firstIndex}–${input.firstIndex + input.items - 1}`;
    const refusal = failure(
      'error',
      'TaskTooLargeError',
      `task ${input.seq} of job ${job.id} (${items}) is ${input.payload.length} bytes, over the limit of ${this.maxTaskBytes} bytes ` +
        'a task may be on this coordinator (set with drover coordinator --max-task-bytes). Send large data as a file: ' +
        '`const { digest } = await pool.uploadFile(path)` in the script, `await context.fetchBlob(digest)` in the task.',
    );
    refusal.code = TASK_TOO_LARGE_CODE;
    this.complete(record, { $case: 'failure', value: refusal }, '', '');
    job.log.warn({ seq: input.seq, bytes: input.payload.length, maxTaskBytes: this.maxTaskBytes }, 'task refused: over --max-task-bytes');
  }

  /** The client sent `InputEnd`: the job completes once every task has a final result. */
  endInput(job: JobState, totalTasks: number): void {
    if (this.closed || job.state !== 'open' || job.inputEnded) return;
    job.inputEnded = true;
    job.totalTasks = totalTasks;
    job.inputsDirty = true;
    this.store.putJob(job);
    this.touch(job);
  }

  /** The client has every result through `throughRseq`: they are deleted in the next commit. */
  resultsReceived(job: JobState, throughRseq: number): void {
    if (this.closed) return;
    const through = Math.min(throughRseq, job.lastRseq);
    if (through <= job.receivedRseq) return;
    job.receivedRseq = through;
    this.store.forgetResults(job.no, through);
    this.store.putJob(job);
    this.scheduleTurn();
    if (job.state === 'completed' && through >= job.lastRseq) this.purge(job, 'the client confirmed every result');
  }

  /**
   * Cancels an open job: drops its queued tasks, asks agents to stop its running attempts (whose
   * results will then be fenced off), deletes its tasks and results, sends `end{cancelled}` and
   * ends the job's stream. Returns false when the job is not open.
   */
  cancelJob(job: JobState, message: string): boolean {
    if (this.closed || job.state !== 'open') return false;
    job.state = 'cancelled';
    job.endMessage = message;
    const dropped = job.queue.drain().length;
    this.queuedJobs.delete(job);
    let stopped = 0;
    for (const session of this.sessions.values()) {
      let attemptIds: string[] | undefined;
      for (const [attemptId, record] of session.running) {
        if (record.job !== job) continue;
        session.running.delete(attemptId);
        this.attempts.delete(attemptId);
        (attemptIds ??= []).push(attemptId);
      }
      if (attemptIds) {
        stopped += attemptIds.length;
        session.sink.send({ msg: { $case: 'cancel', value: { attemptIds } } });
      }
    }
    for (const [attemptId, orphan] of this.orphans) {
      if (orphan.record.job !== job) continue;
      // Its agent, if it comes back listing it, is told to cancel it (no longer current).
      this.orphans.delete(attemptId);
      this.attempts.delete(attemptId);
    }
    job.tasksRunning = 0;
    job.clearPendingResults();
    job.pendingProgress = [];
    job.purged = true;
    this.store.purgeJob(job.no);
    this.store.putJob(job);
    this.scheduleTurn();
    const sink = job.sink;
    if (sink !== null) {
      job.sink = null;
      sink.send({ msg: { $case: 'end', value: { state: 'cancelled', message } } });
      sink.close();
    }
    job.log.info({ dropped, stopped, reason: message }, 'job cancelled');
    this.retire(job);
    return true;
  }

  /** `Jobs.Get`: a job held or a remembered finished one. */
  jobInfo(jobId: string): pb.JobInfo | undefined {
    return this.jobs.get(jobId)?.info() ?? this.finishedJobs.get(jobId)?.info;
  }

  /** `Jobs.List`: jobs held and remembered finished ones, oldest first. */
  listJobs(): pb.JobInfo[] {
    const infos = [...this.finishedJobs.values()].map((f) => f.info);
    for (const job of this.jobs.values()) infos.push(job.info());
    return infos.sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  /** For the dashboard: jobs held and remembered finished ones, oldest first, read at call time. */
  jobSummaries(): JobSummary[] {
    const summaries: JobSummary[] = [];
    for (const f of this.finishedJobs.values()) summaries.push({ info: f.info, function: f.function, endMessage: f.endMessage, endedAtMs: f.endedAtMs, queued: 0, failures: f.failures });
    for (const job of this.jobs.values()) {
      summaries.push({ info: job.info(), function: job.function, endMessage: job.endMessage, endedAtMs: job.endedAtMs, queued: job.queue.length, failures: job.failures });
    }
    return summaries.sort((a, b) => a.info.createdAtMs - b.info.createdAtMs);
  }

  // ---------------------------------------------------------------- agent sessions

  /**
   * Registers an agent session and sends `registered`; it takes work once it grants credit. Attempts
   * listed in `running_attempt_ids` that are still current for this agent move to the new session
   * (they are not re-run); the others get a `cancel`. The agent's orphaned attempts it did not list
   * are re-queued. A live session of the same agent is replaced.
   */
  addSession(register: pb.Register, sink: AgentSink, principal = ''): AgentSession {
    const sessionId = `s-${randomBytes(6).toString('base64url')}`;
    const session = new AgentSession(sessionId, register, sink, this.log.child({ agent: register.name, sessionId }), principal);
    const previous = this.sessionsByName.get(session.name);
    if (previous !== undefined) {
      this.removeSession(previous, `replaced by a new session (${sessionId}) of the same agent`);
      previous.sink.abort(`agent "${session.name}" connected again (session ${sessionId}); this session is replaced`);
    }
    this.sessions.set(sessionId, session);
    this.sessionsByName.set(session.name, session);
    this.goneAgents.delete(session.name);
    this.agentsChanged();
    sink.send({ msg: { $case: 'registered', value: { sessionId, heartbeatMs: this.heartbeatMs, creditWithResults: true } } });

    let adopted = 0;
    const stale: string[] = [];
    for (const attemptId of register.runningAttemptIds) {
      const record = this.attempts.get(attemptId);
      if (record !== undefined && record.session === session) continue; // listed twice
      // Attempt ids are guessable: an orphan goes back only to the agent name and principal that held it.
      const orphan = this.orphans.get(attemptId);
      if (record !== undefined && record.session === null && record.agent === session.name && orphan !== undefined && this.mayReclaim(orphan, session)) {
        this.orphans.delete(attemptId);
        record.session = session;
        session.running.set(attemptId, record);
        adopted += 1;
      } else {
        stale.push(attemptId);
      }
    }
    if (stale.length > 0) sink.send({ msg: { $case: 'cancel', value: { attemptIds: stale } } });
    // The agent lists every attempt it holds (running, fetching its bundle, or with a result not yet
    // acknowledged): its orphaned attempts it did not list are gone, and run again now.
    let requeued = 0;
    for (const [attemptId, orphan] of this.orphans) {
      if (orphan.record.agent === session.name && this.mayReclaim(orphan, session) && this.releaseOrphan(attemptId, orphan, `agent "${session.name}" reconnected without it`) === 'requeued') requeued += 1;
    }
    if (this.orphans.size === 0 && this.orphanTimer !== undefined) {
      clearTimeout(this.orphanTimer);
      this.orphanTimer = undefined;
    }
    const capacity = session.capacity;
    session.log.info(
      {
        slots: capacity.slots,
        cpus: capacity.cpus,
        memoryMb: capacity.memoryMb,
        sumo: capacity.sumoVersion || undefined,
        version: session.version,
        ...(register.runningAttemptIds.length > 0 || requeued > 0 ? { kept: adopted, cancelled: stale.length, requeued } : {}),
      },
      register.runningAttemptIds.length > 0 ? 'agent re-joined' : 'agent joined',
    );
    return session;
  }

  /** Adds to a session's credit (grants are cumulative). */
  grantCredit(session: AgentSession, tasks: number): void {
    if (this.closed || !this.sessions.has(session.sessionId) || tasks <= 0) return;
    session.credit += tasks;
    if (!session.draining) this.hungry.add(session);
    if (this.queuedJobs.size > 0) this.scheduleTurn();
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
      this.hungry.delete(session);
      session.sink.send({ msg: { $case: 'drain', value: {} } });
      session.log.info('agent draining');
      this.agentsChanged();
    }
    return true;
  }

  /**
   * A batch of attempt results from a session. A result counts only if its attempt id is the
   * task's current attempt and belongs to this session's agent (a result re-sent on a new session
   * after a reconnect counts); anything else is fenced off. Every result is acknowledged with
   * `results_accepted` after the commit that made the accepted ones durable. Infrastructure
   * failures are retried within the job's budget.
   */
  handleResults(session: AgentSession, results: readonly pb.AttemptResult[]): void {
    // A session already gone cannot be acknowledged; its agent sends the results again.
    if (this.closed || results.length === 0 || !this.sessions.has(session.sessionId)) return;
    let fenced = 0;
    let retried = 0;
    for (const result of results) {
      const attemptId = result.attemptId;
      session.uncommittedAcks.push(attemptId);
      const record = this.attempts.get(attemptId);
      if (record === undefined || record.agent !== session.name) {
        fenced += 1;
        continue;
      }
      this.endAttempt(record);
      const outcome = result.outcome;
      if (outcome === undefined) {
        this.complete(record, internalFailure('the agent sent a result with neither value nor failure'), session.name, result.worker);
      } else if (outcome.$case === 'failure' && this.shouldRetry(record, outcome.value.kind, outcome.value.retryable)) {
        retried += 1;
        this.requeue(record);
      } else {
        this.complete(record, outcome, session.name, result.worker);
      }
    }
    this.fencedTotal += fenced;
    this.ackSessions.add(session);
    this.scheduleTurn();
    if (fenced > 0) session.log.info({ fenced, results: results.length }, 'results of attempts no longer current discarded');
    if (session.log.isLevelEnabled('debug')) session.log.debug({ results: results.length, fenced, retried }, 'results received');
  }

  /**
   * The session hands back assignments it has not started (`Returned`): each attempt still current and
   * held by this session ends, and its task goes back to the front of its job's queue. Handing back
   * is not a failure: the attempt it had does not count against the job's retries. Anything else (an
   * attempt fenced off meanwhile, another agent's) is ignored.
   */
  handleReturned(session: AgentSession, attemptIds: readonly string[]): void {
    if (this.closed || !this.sessions.has(session.sessionId)) return;
    let requeued = 0;
    // Back to the front in reverse, so that they keep their order there.
    for (let i = attemptIds.length - 1; i >= 0; i--) {
      const attemptId = attemptIds[i];
      const record = this.attempts.get(attemptId);
      if (record === undefined || record.session !== session) continue;
      this.endAttempt(record);
      record.attempt -= 1;
      this.requeue(record);
      requeued += 1;
    }
    if (requeued > 0) session.log.debug({ returned: attemptIds.length, requeued }, 'unstarted tasks handed back');
  }

  /** A batch of progress reports from a session, forwarded to the owning jobs (fenced like results). */
  handleProgress(session: AgentSession, progress: readonly pb.AttemptProgress[]): void {
    if (this.closed || !this.sessions.has(session.sessionId)) return;
    for (const report of progress) {
      const record = this.attempts.get(report.attemptId);
      if (record === undefined || record.agent !== session.name) continue;
      record.job.pendingProgress.push({ seq: record.seq, value: report.value, agent: session.name, worker: report.worker });
      this.touch(record.job);
    }
  }

  /** Whether `session` may take back `orphan`: same principal as the session that held it, when known. */
  private mayReclaim(orphan: Orphan, session: AgentSession): boolean {
    return orphan.principal === undefined || orphan.principal === session.principal;
  }

  /**
   * A session ended (stream closed or broken, lease expired, replaced): its attempts are orphaned
   * for `agentGraceMs`. The same agent registering again within the grace keeps those it lists;
   * the rest are then re-queued with attempt+1, or, with no retry left, finish as failures of kind
   * `lost`. Unless `left` (the agent closed its stream: it is leaving), the agent still counts as
   * able to run what it could until the grace ends, when jobs are checked for a suitable agent.
   */
  removeSession(session: AgentSession, reason: string, options: { left?: boolean } = {}): void {
    if (this.closed || !this.sessions.delete(session.sessionId)) return;
    // Its agent gets the acknowledgements on its next session (it sends those results again).
    this.deferredAckSessions.delete(session);
    if (this.sessionsByName.get(session.name) === session) {
      this.sessionsByName.delete(session.name);
      if (!options.left) this.goneAgents.set(session.name, { capacity: session.capacity, untilMs: Date.now() + this.agentGraceMs });
    }
    this.agentsChanged();
    const deadline = Date.now() + this.agentGraceMs;
    for (const [attemptId, record] of session.running) {
      record.session = null;
      this.orphans.set(attemptId, { record, deadline, reason, principal: session.principal });
    }
    const orphaned = session.running.size;
    session.running.clear();
    session.credit = 0;
    this.hungry.delete(session);
    session.outbox = [];
    this.outboxSessions.delete(session);
    session.log.info({ orphaned, graceMs: this.agentGraceMs, reason }, 'agent left');
    this.scheduleOrphanSweep();
  }

  /** `Admin.ListAgents`. */
  listAgents(): pb.AgentInfo[] {
    return [...this.sessions.values()].map((session) => session.info());
  }

  /** For the dashboard: connected sessions with the slots their assigned attempts take, read at call time. */
  agentSummaries(): AgentSummary[] {
    return [...this.sessions.values()].map((session) => {
      let slotsAssigned = 0;
      for (const record of session.running.values()) slotsAssigned += record.job.slots;
      return { info: session.info(), slotsAssigned };
    });
  }

  /**
   * `Admin.Stats`. `tasksCompleted` counts every task that got a final result (success or
   * failure) since the coordinator started, like `JobInfo.tasksCompleted` does per job.
   * `tasksRunning` includes attempts waiting for their agent to come back.
   */
  stats(): pb.StatsResponse {
    let slots = 0;
    for (const session of this.sessions.values()) slots += session.capacity.slots;
    let tasksQueued = 0;
    let tasksRunning = 0;
    let jobsOpen = 0;
    const jobs: pb.JobInfo[] = [];
    for (const job of this.jobs.values()) {
      tasksQueued += job.queue.length;
      tasksRunning += job.tasksRunning;
      if (job.state === 'open') jobsOpen += 1;
      jobs.push(job.info());
    }
    return {
      agents: this.sessions.size,
      slots,
      tasksQueued,
      tasksRunning,
      tasksCompleted: this.tasksCompletedTotal,
      jobsOpen,
      jobs,
    };
  }

  /**
   * Stops: commits and delivers what was handled so far, then ends every stream — job streams
   * with UNAVAILABLE (clients re-attach to the next coordinator on the same data), agent streams
   * too — and closes the store. Jobs stay open in the store; nothing queued or finished is lost.
   */
  shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ticker);
    for (const timer of [this.orphanTimer, this.retryTimer, this.unschedulableTimer, this.checkpointTimer, this.deferredTimer, this.holdTimer, this.attemptTimer]) if (timer) clearTimeout(timer);
    if (this.turnHandle) clearImmediate(this.turnHandle);
    this.turnHandle = this.orphanTimer = this.retryTimer = this.unschedulableTimer = this.checkpointTimer = this.deferredTimer = this.holdTimer = this.attemptTimer = undefined;
    if (!this.store.isClosed) {
      // No dispatch pass: no new attempts now. A job finishing here writes its state once more.
      // Nothing is deferred past the end: agents and clients hear every acknowledgement, and every
      // running attempt is written, so that a restart lets its agent keep it.
      this.deferredDue = true;
      this.store.flushAttempts(Infinity);
      for (let pass = 0; pass < 3; pass++) {
        if (!this.commit()) break;
        this.deliver();
        if (!this.store.hasPendingWrites) break;
      }
    }
    for (const job of this.jobs.values()) {
      const sink = job.sink;
      if (sink === null) continue;
      job.sink = null;
      sink.abort('the coordinator is shutting down; the SDK re-attaches');
    }
    for (const session of this.sessions.values()) session.sink.abort('the coordinator is shutting down');
    this.sessions.clear();
    this.sessionsByName.clear();
    this.hungry.clear();
    this.queuedJobs.clear();
    this.turnJobs.clear();
    this.store.close();
  }

  // ---------------------------------------------------------------- internals

  private newJobId(): string {
    for (;;) {
      const id = `j-${randomBytes(6).toString('base64url')}`;
      if (!this.hasJob(id)) return id;
    }
  }

  /** The job has something to send after the next commit (or may have completed). */
  private touch(job: JobState): void {
    this.turnJobs.add(job);
    this.scheduleTurn();
  }

  /**
   * Crashes, lost agents and failures the agent marks retryable are retried within the budget;
   * errors only when the job asks.
   */
  private shouldRetry(record: TaskRecord, kind: string, retryable = false): boolean {
    const job = record.job;
    if (job.state !== 'open' || record.attempt > job.retries) return false;
    if (kind === 'crashed' || kind === 'lost' || retryable) return true;
    return kind === 'error' && job.retryOnError;
  }

  /** The task's current attempt is over (it has a result, or its agent is lost for good). */
  private endAttempt(record: TaskRecord): void {
    const attemptId = record.attemptId;
    this.attempts.delete(attemptId);
    if (record.session !== null) record.session.running.delete(attemptId);
    else this.orphans.delete(attemptId);
    record.session = null;
    record.attemptId = '';
    record.agent = '';
    record.job.tasksRunning -= 1;
  }

  /** Back to the front of the job's queue; the next assignment makes it attempt+1. */
  private requeue(record: TaskRecord): void {
    const job = record.job;
    job.queue.unshift(record);
    record.queuedAtMs = performance.now();
    this.store.updateTask(record);
    this.queuedJobs.add(job);
    if (job.suitableEpoch !== this.agentsEpoch) this.checkJobs.add(job);
    this.scheduleTurn();
  }

  /** Records a task's final result: stored with the next rseq, delivered after the commit. */
  private complete(record: TaskRecord, outcome: NonNullable<pb.TaskResult['outcome']>, agent: string, worker: string): void {
    const job = record.job;
    if (job.state !== 'open') return;
    job.tasksCompleted += 1;
    let failureKind = '';
    if (outcome.$case === 'failure') {
      failureKind = outcome.value.kind || 'unknown';
      job.tasksFailed += 1;
      job.failures.add(outcome.value, { seq: record.seq, firstIndex: record.firstIndex, attempt: record.attempt, agent });
    }
    this.metrics?.taskFinished(record, failureKind);
    this.tasksCompletedTotal += 1;
    job.lastRseq += 1;
    // Encoded once: the store keeps these bytes and the client is sent them as they are.
    const result = encodeTaskResult({ seq: record.seq, outcome, attempt: record.attempt, agent, worker, rseq: job.lastRseq });
    this.store.putResult(job.no, job.lastRseq, result);
    this.store.deleteTask(record);
    this.store.putJob(job);
    job.pendingResults.push(result);
    job.pendingResultBytes += encodedResultSize(result);
    if (failureKind !== '') job.pendingFailure = true;
    this.touch(job);
  }

  private eligible(job: JobState, session: AgentSession): boolean {
    let ok = job.eligibility.get(session);
    if (ok === undefined) {
      ok = matchesRequirements(job.requires, session.capacity);
      job.eligibility.set(session, ok);
    }
    return ok;
  }

  private scheduleTurn(): void {
    if (this.turnHandle !== undefined || this.closed) return;
    this.turnHandle = setImmediate(this.runTurn);
  }

  /** One turn: dispatch, commit, then send what the commit made true. */
  private readonly runTurn = (): void => {
    this.turnHandle = undefined;
    if (this.closed) return;
    try {
      this.checkSchedulable();
    } catch (error) {
      this.log.error({ err: error }, 'checking jobs for suitable agents failed');
    }
    try {
      this.dispatch();
    } catch (error) {
      this.log.error({ err: error }, 'dispatch pass failed');
    }
    if (this.attemptTimer === undefined) this.armAttemptTimer();
    if (this.commitCanWait()) {
      this.sendAssignments();
      // Held results wait up to RESULT_HOLD_MS; anything else (new tasks, a job's row, inputs_accepted) ~5 ms.
      let holding = false;
      let waiting = this.store.hasTaskWrites;
      for (const job of this.turnJobs) {
        if (job.pendingResults.length > 0) holding = true;
        if (job.pendingResults.length === 0 || job.inputsDirty) waiting = true;
      }
      if (holding) this.holdTimer ??= setTimeout(this.holdFired, RESULT_HOLD_MS);
      if (waiting || (!holding && this.store.hasPendingWrites)) this.deferredTimer ??= setTimeout(this.deferredFired, DEFERRED_ACK_MS);
      return;
    }
    if (!this.commit()) return;
    this.deliver();
  };

  /**
   * Whether nothing this turn wrote is waited for yet, so the assignments go out now and the commit
   * waits to be joined with a later one. Two kinds of writes may wait:
   *
   * - New tasks and their attempts ({@link DEFERRED_ACK_MS} at most). An assignment promises nothing:
   *   after a crash, an attempt the store does not know is fenced off and its task runs again from the
   *   client's replay buffer, which keeps every input until `inputs_accepted` (sent only after a
   *   commit). A short task's result usually arrives before that commit, which then writes its result
   *   alone (a task inserted and deleted in one commit is never written): one commit per task instead
   *   of two, and no commit before an assignment. Likewise housekeeping nobody waits for: a finished
   *   job's state and the deletion of its rows (after a crash before that commit it is restored with
   *   its results, and ends with the detached-job TTL, as any job its client left), and deletions of
   *   results its client confirmed. So the next job's first assignment does not wait behind the last one's purge.
   * - Results of a job whose client reads none before the job ends ({@link mayHoldResults},
   *   {@link RESULT_HOLD_MS} at most), with what goes with them (their tasks' deletion, the job's row,
   *   deletions of results the client confirmed). Nothing about them has been said to anyone: the
   *   agent's acknowledgements wait for the commit too (`uncommittedAcks`), and after a crash their
   *   tasks run again.
   */
  private commitCanWait(): boolean {
    if (this.deferredDue || this.retryTimer !== undefined) return false;
    let holding = false;
    for (const job of this.turnJobs) {
      if (job.state !== 'open' || job.pendingProgress.length > 0 || job.isDone) return false;
      if (job.pendingResults.length > 0) {
        if (!this.mayHoldResults(job)) return false;
        holding = true;
      }
    }
    // With results held, what goes with them waits too (their done tasks, acknowledgements); without,
    // only writes that promise nothing to anyone.
    return holding || (this.ackSessions.size === 0 && !this.store.hasResultWrites);
  }

  /**
   * Whether a job's pending results may wait for a later commit: its client asked for it
   * (`resultsBatchMax`), and they are fewer than that and than a message's worth of bytes, with no
   * failure among them (a `map` rejects on the first), and the client cannot be waiting for them to
   * send more input (its job still has queued tasks, or its input has ended). The job's last result
   * never waits ({@link commitCanWait} checks `isDone`).
   */
  private mayHoldResults(job: JobState): boolean {
    return (
      job.pendingResults.length < job.resultsBatchMax &&
      !job.pendingFailure &&
      job.pendingResultBytes < this.maxBatchBytes &&
      (job.queue.length > 0 || job.inputEnded)
    );
  }

  /**
   * Commits the turn's writes. On failure nothing of the turn is sent; the writes stay pending
   * and the commit is retried with backoff. Returns whether everything is committed.
   */
  private commit(): boolean {
    if (this.retryTimer !== undefined) return false;
    if (!this.store.hasPendingWrites) {
      this.committed();
      return true;
    }
    try {
      const rows = this.store.commit();
      this.commitsTotal += 1;
      this.committed();
      if (this.store.commitsSinceCheckpoint >= this.idleCheckpointCommits) this.armCheckpoint();
      if (this.commitFailures > 0) this.log.info({ failures: this.commitFailures }, 'commit succeeded again');
      this.commitFailures = 0;
      if (this.log.isLevelEnabled('trace')) this.log.trace({ rows }, 'committed');
      return true;
    } catch (error) {
      this.commitFailures += 1;
      const retryInMs = Math.min(MAX_COMMIT_RETRY_MS, 50 * 2 ** Math.min(this.commitFailures, 6));
      this.log.error({ err: error, failures: this.commitFailures, retryInMs }, 'commit failed; nothing is acknowledged or delivered until it succeeds');
      if (!this.closed) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.scheduleTurn();
        }, retryInMs);
      }
      return false;
    }
  }

  /** Everything handled so far is durable: the acknowledgements of its results may go out, and nothing is held any more. */
  private committed(): void {
    for (const session of this.ackSessions) {
      for (const id of session.uncommittedAcks) session.acks.push(id);
      session.uncommittedAcks = [];
    }
    if (this.holdTimer !== undefined) {
      clearTimeout(this.holdTimer);
      this.holdTimer = undefined;
    }
  }

  /** Commits the store's first attempts once they have run long enough to be written (CoordinatorStore.updateTask). */
  private armAttemptTimer(): void {
    const due = this.store.nextAttemptDueMs;
    if (due === undefined || this.closed) return;
    this.attemptTimer = setTimeout(this.attemptsDue, Math.max(1, due - performance.now()));
    // Only a crash makes a missed write matter, and a crash also ends the timer.
    this.attemptTimer.unref();
  }

  private readonly attemptsDue = (): void => {
    this.attemptTimer = undefined;
    if (this.closed) return;
    this.store.flushAttempts(performance.now());
    this.scheduleTurn();
  };

  private armCheckpoint(): void {
    if (this.checkpointTimer === undefined) {
      this.checkpointTimer = setTimeout(this.checkpointWhenIdle, IDLE_CHECKPOINT_MS);
      this.checkpointTimer.unref();
    } else {
      this.checkpointTimer.refresh();
    }
  }

  private readonly checkpointWhenIdle = (): void => {
    this.checkpointTimer = undefined;
    if (this.closed) return;
    try {
      this.store.checkpoint();
    } catch (error) {
      // Nothing is lost: the commits stay in the WAL and SQLite checkpoints at its cap.
      this.log.warn({ err: error }, 'checkpointing the store failed');
    }
  };

  /**
   * Sends what the last commit made durable: assignments first (an idle worker waits for them; a
   * sequential `apply` waits for its task's assignment, not for its `inputs_accepted`), then each
   * job's opened, inputs_accepted, progress and results, then the agents' acknowledgements.
   */
  private deliver(): void {
    const due = this.deferredDue;
    this.deferredDue = false;
    this.sendAssignments();
    if (this.turnJobs.size > 0) {
      const jobs = this.turnJobs;
      this.turnJobs = new Set();
      for (const job of jobs) {
        try {
          this.deliverJob(job);
        } catch (error) {
          job.log.error({ err: error }, 'delivering results failed');
        }
      }
    }
    for (const session of this.ackSessions) {
      if (session.acks.length >= DEFERRED_ACKS_MAX) this.sendAcks(session);
      else if (session.acks.length > 0) this.deferredAckSessions.add(session);
    }
    this.ackSessions.clear();
    if (due) {
      for (const session of this.deferredAckSessions) this.sendAcks(session);
      for (const job of this.deferredAcceptJobs) this.sendAccepted(job);
    }
    if (this.deferredAckSessions.size > 0 || this.deferredAcceptJobs.size > 0) {
      this.deferredTimer ??= setTimeout(this.deferredFired, DEFERRED_ACK_MS);
    } else if (this.deferredTimer !== undefined && !this.store.hasPendingWrites) {
      // Everything it was armed for went out with this commit: a firing would only force an early one.
      clearTimeout(this.deferredTimer);
      this.deferredTimer = undefined;
    }
  }

  /** Sends the turn's assignments, with the acknowledgements of sessions that get some (committed ones only: see {@link deliver}). */
  private sendAssignments(): void {
    for (const session of this.outboxSessions) {
      const batches = session.outbox;
      session.outbox = [];
      // To an agent that takes them there, the acknowledgements ride inside the first assignment: one
      // message instead of two (with 1,000 agents of 2 slots, half the messages the coordinator writes).
      let acceptedAttemptIds = NO_IDS;
      if (session.acksWithAssign && batches.length > 0 && session.acks.length > 0 && session.acks.length <= MAX_ACK_IDS_WITH_ASSIGN) {
        acceptedAttemptIds = session.acks;
        session.acks = [];
        this.deferredAckSessions.delete(session);
      }
      for (const tasks of batches) {
        session.sink.send({ msg: { $case: 'assign', value: { tasks, acceptedAttemptIds } } });
        acceptedAttemptIds = NO_IDS;
      }
      // Written in the same turn, the acknowledgements reach the agent with the assignments, in one wake-up.
      if (session.acks.length > 0) this.sendAcks(session);
    }
    this.outboxSessions.clear();
  }

  /** Held results are due: the next turn commits and sends them (with everything else deferred). */
  private readonly holdFired = (): void => {
    this.holdTimer = undefined;
    if (this.closed) return;
    this.deferredDue = true;
    this.scheduleTurn();
  };

  /** Everything deferred goes out after the next commit (never before it: acks of this turn's results wait for it). */
  private readonly deferredFired = (): void => {
    this.deferredTimer = undefined;
    if (this.closed) return;
    this.deferredDue = true;
    this.scheduleTurn();
  };

  /** Sends a session's acknowledgements, all of them committed (called only from {@link deliver}). */
  private sendAcks(session: AgentSession): void {
    this.deferredAckSessions.delete(session);
    const ids = session.acks;
    if (ids.length === 0) return;
    session.acks = [];
    for (let i = 0; i < ids.length; i += MAX_ACK_IDS) {
      session.sink.send({ msg: { $case: 'resultsAccepted', value: { attemptIds: i === 0 && ids.length <= MAX_ACK_IDS ? ids : ids.slice(i, i + MAX_ACK_IDS) } } });
    }
  }

  /** Tells the job's client how many tasks are durable, if it has not heard that number yet. */
  private sendAccepted(job: JobState): void {
    this.deferredAcceptJobs.delete(job);
    if (job.tasksAcceptedSent === job.tasksCommitted) return;
    job.tasksAcceptedSent = job.tasksCommitted;
    job.sink?.send({ msg: { $case: 'inputsAccepted', value: { tasksAccepted: job.tasksCommitted } } });
  }

  private deliverJob(job: JobState): void {
    const sink = job.sink;
    if (job.inputsDirty) {
      job.inputsDirty = false;
      job.inputEndCommitted = job.inputEnded;
      job.tasksCommitted = job.tasksSubmitted;
    }
    if (job.tasksAcceptedSent !== job.tasksCommitted) {
      // With results, or when the job ends, now; otherwise it waits briefly for results to go with.
      if (job.pendingResults.length > 0 || (job.state === 'open' && job.isDone)) this.sendAccepted(job);
      else this.deferredAcceptJobs.add(job);
    }
    if (job.pendingProgress.length > 0) {
      const progress = job.pendingProgress;
      job.pendingProgress = [];
      if (sink !== null) {
        for (const part of splitBySize(progress, this.maxBatchBytes, (p) => p.value.length + ENTRY_OVERHEAD)) {
          sink.send({ msg: { $case: 'progress', value: { progress: part } } });
        }
      }
    }
    if (job.pendingResults.length > 0) {
      const results = job.pendingResults;
      job.clearPendingResults();
      if (sink !== null) {
        const parts = splitBySize(results, this.maxBatchBytes, encodedResultSize);
        for (const part of parts) sink.send(new EncodedResultBatch(part));
        if (job.log.isLevelEnabled('debug')) job.log.debug({ results: results.length, messages: parts.length, lastRseq: job.lastRseq }, 'results sent');
      }
    }
    if (job.state === 'open' && job.isDone) this.finish(job);
  }

  /** Every result is durable and sent: the job is complete, and attachable until its client confirms. */
  private finish(job: JobState): void {
    job.state = 'completed';
    job.endedAtMs = Date.now();
    this.store.putJob(job);
    this.scheduleTurn();
    job.log.info({ tasks: job.totalTasks, failed: job.tasksFailed, attached: job.sink !== null }, 'job completed');
    if (job.sink !== null) this.sendEnd(job, job.sink);
    if (job.receivedRseq >= job.lastRseq) this.purge(job, 'no result left to deliver');
  }

  private sendEnd(job: JobState, sink: JobSink): void {
    sink.send({ msg: { $case: 'end', value: { state: 'completed', message: '' } } });
    job.endSentTo = sink;
    sink.close();
  }

  /** Deletes a completed job's tasks and results; its info stays for `Get`/`List`. */
  private purge(job: JobState, reason: string): void {
    if (job.purged) return;
    job.purged = true;
    this.store.purgeJob(job.no);
    this.store.putJob(job);
    this.scheduleTurn();
    job.log.info({ reason }, 'job rows deleted');
    this.retire(job);
  }

  /** Forgets an ended, purged job, keeping its info (bounded) for `Get`/`List`. */
  private retire(job: JobState): void {
    this.jobs.delete(job.id);
    this.queuedJobs.delete(job);
    this.turnJobs.delete(job);
    this.checkJobs.delete(job);
    this.waitingJobs.delete(job);
    job.clearPendingResults();
    job.pendingProgress = [];
    if (job.endedAtMs === 0) job.endedAtMs = Date.now();
    this.remember({ no: job.no, info: job.info(), endMessage: job.endMessage, function: job.function, failures: job.failures, endedAtMs: job.endedAtMs });
  }

  private remember(finished: FinishedJob): void {
    this.finishedJobs.set(finished.info.jobId, finished);
    if (this.finishedJobs.size > this.finishedJobsKept) {
      const [oldestId, oldest] = this.finishedJobs.entries().next().value!;
      this.finishedJobs.delete(oldestId);
      this.store.deleteJob(oldest.no);
      this.scheduleTurn();
    }
  }

  // ---------------------------------------------------------------- unschedulable jobs

  /** The agents changed: jobs with queued tasks, and those waiting, are checked again. */
  private agentsChanged(): void {
    this.agentsEpoch += 1;
    for (const job of this.queuedJobs) this.checkJobs.add(job);
    for (const job of this.waitingJobs) this.checkJobs.add(job);
    if (this.checkJobs.size > 0) this.scheduleTurn();
  }

  /**
   * For each job to check: with a connected agent able to run it, or no agent connected at all,
   * its tasks wait for dispatch; otherwise its wait for a suitable agent starts (or goes on), and
   * once it is over its queued tasks fail as `unschedulable`.
   */
  private checkSchedulable(): void {
    if (this.checkJobs.size === 0) return;
    const jobs = [...this.checkJobs];
    this.checkJobs.clear();
    const now = Date.now();
    for (const [name, gone] of this.goneAgents) if (gone.untilMs <= now) this.goneAgents.delete(name);
    let live: AgentSession[] | undefined;
    for (const job of jobs) {
      if (job.state !== 'open' || job.suitableEpoch === this.agentsEpoch) continue;
      live ??= [...this.sessions.values()].filter((session) => !session.draining);
      if (live.length === 0 || live.some((session) => this.eligible(job, session))) {
        if (live.length > 0) job.suitableEpoch = this.agentsEpoch;
        if (job.unschedulableSinceMs !== 0) {
          job.log.info({ waitedMs: now - job.unschedulableSinceMs, agents: live.length }, live.length > 0 ? 'a suitable agent joined' : 'no agent connected; tasks queue');
          job.unschedulableSinceMs = 0;
          this.waitingJobs.delete(job);
        }
        continue;
      }
      if (job.unschedulableSinceMs === 0) {
        if (job.queue.length === 0) continue;
        job.unschedulableSinceMs = now;
        this.waitingJobs.add(job);
        job.log.info({ waitMs: job.unschedulableWaitMs, agents: live.length }, 'no connected agent can run the job; waiting for one');
      }
      let deadline = Math.max(job.unschedulableSinceMs + job.unschedulableWaitMs, this.settleUntilMs);
      for (const gone of this.goneAgents.values()) {
        if (gone.untilMs > deadline && matchesRequirements(job.requires, gone.capacity)) deadline = gone.untilMs;
      }
      if (deadline > now) this.armUnschedulableTimer(deadline);
      else if (job.queue.length > 0) this.failUnschedulable(job, live);
    }
  }

  /** Every queued task of the job gets its final result: a failure of kind `unschedulable`. */
  private failUnschedulable(job: JobState, live: readonly AgentSession[]): void {
    let message = describeUnschedulable(job.requires, live);
    if (job.unschedulableWaitMs > 0) message += ` (waited ${job.unschedulableWaitMs} ms for one to join)`;
    const records = job.queue.drain();
    this.queuedJobs.delete(job);
    const outcome: NonNullable<pb.TaskResult['outcome']> = { $case: 'failure', value: failure('unschedulable', 'UnschedulableError', message) };
    for (const record of records) this.complete(record, outcome, '', '');
    job.log.warn({ tasks: records.length, message }, 'tasks failed: no connected agent can run them');
  }

  private armUnschedulableTimer(atMs: number): void {
    if (this.closed || (this.unschedulableTimer !== undefined && this.unschedulableTimerAtMs <= atMs)) return;
    if (this.unschedulableTimer !== undefined) clearTimeout(this.unschedulableTimer);
    this.unschedulableTimerAtMs = atMs;
    // setTimeout takes at most 2^31-1 ms (a longer wait is re-armed when this one fires).
    this.unschedulableTimer = setTimeout(this.unschedulableDue, Math.min(MAX_TIMER_MS, Math.max(0, atMs - Date.now())));
    this.unschedulableTimer.unref();
  }

  /** A wait for a suitable agent (or an agent's grace, or the restart settle time) may be over. */
  private readonly unschedulableDue = (): void => {
    this.unschedulableTimer = undefined;
    if (this.closed) return;
    // Only waiting jobs can have a deadline (their own wait, a gone agent's grace, the settle time).
    for (const job of this.waitingJobs) this.checkJobs.add(job);
    this.scheduleTurn();
  };

  // ---------------------------------------------------------------- dispatch

  /**
   * One dispatch pass: fill the sessions' credit from the queued jobs they can run.
   *
   * Credit is a promise to take work, not a measure of how much an agent should get: after a run of
   * tiny tasks an agent's adaptive prefetch holds many credits per slot, and filling sessions one
   * after another would pile a later job of long tasks onto the first agent while others idle. So
   * when the queue holds less than the credit on offer, it is shared out first: each agent's free
   * slots (slots minus the attempts it holds), then rounds of each agent's slot count — the queue is
   * spread in proportion to workers. With more work queued than credit, every credit is filled.
   */
  private dispatch(): void {
    if (this.queuedJobs.size === 0 || this.hungry.size === 0) return;
    const open = [...this.hungry];
    if (open.length > 1) {
      let queued = 0;
      for (const job of this.queuedJobs) queued += job.queue.length;
      let credit = 0;
      for (const session of open) credit += session.credit;
      if (queued < credit) {
        const shares = shareBySlots(open, queued);
        for (let i = 0; i < open.length && this.queuedJobs.size > 0; i++) if (shares[i] > 0) this.fill(open[i], shares[i]);
      }
    }
    // The rest of the credit (all of it with a deep queue; after sharing, what requirements kept
    // some agent from taking its share).
    for (const session of open) {
      if (this.queuedJobs.size === 0) break;
      if (session.credit > 0) this.fill(session, session.credit);
    }
  }

  /** Assigns `session` up to `limit` (at most its credit) queued tasks, round-robin across eligible jobs. */
  private fill(session: AgentSession, limit: number): void {
    const eligible: JobState[] = [];
    for (const job of this.queuedJobs) {
      // A job whose client leaves results unread waits (results_received resumes it).
      if (job.lastRseq - job.receivedRseq >= this.maxUnreadResults) continue;
      if (this.eligible(job, session)) eligible.push(job);
    }
    if (eligible.length === 0) return;
    // Jobs in the order they are served here, so that they can go to the back of the line after.
    const served: JobState[] = [];
    const fillNumber = ++this.fillCounter;
    const now = performance.now();
    let batch: pb.Assignment[] = [];
    let batchBytes = 0;
    let assigned = 0;
    let i = 0;
    let budget = Math.min(limit, session.credit);
    while (budget > 0 && eligible.length > 0) {
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

      const attemptId = `${this.bootId}.${(++this.attemptCounter).toString(36)}`;
      record.attempt += 1;
      record.attemptId = attemptId;
      record.agent = session.name;
      record.session = session;
      record.startedAtMs = now;
      this.attempts.set(attemptId, record);
      session.running.set(attemptId, record);
      this.store.updateTask(record);
      session.credit -= 1;
      budget -= 1;
      job.tasksRunning += 1;
      assigned += 1;

      const size = record.payload.length + ENTRY_OVERHEAD;
      if (batch.length > 0 && batchBytes + size > this.maxBatchBytes) {
        session.outbox.push(batch);
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
        resultWaitMs: job.resultsBatchMax > 0 ? AGENT_RESULT_WAIT_MS : 0,
      });
      batchBytes += size;
    }
    if (batch.length > 0) session.outbox.push(batch);
    this.outboxSessions.add(session);
    if (session.credit === 0) this.hungry.delete(session);
    // Served jobs that still have work go to the back: the next fill starts with the others.
    for (const job of served) {
      if (this.queuedJobs.delete(job)) this.queuedJobs.add(job);
    }
    if (session.log.isLevelEnabled('debug')) {
      session.log.debug({ assigned, jobs: served.length, credit: session.credit }, 'assigned');
    }
  }

  // ---------------------------------------------------------------- timers

  private scheduleOrphanSweep(): void {
    if (this.orphanTimer !== undefined || this.closed) return;
    const first = this.orphans.values().next().value;
    if (first === undefined) return;
    this.orphanTimer = setTimeout(this.sweepOrphans, Math.max(0, first.deadline - Date.now()));
    this.orphanTimer.unref();
  }

  /** Re-queues (or fails as `lost`) the orphaned attempts whose grace has ended. */
  private readonly sweepOrphans = (): void => {
    this.orphanTimer = undefined;
    if (this.closed) return;
    const now = Date.now();
    let requeued = 0;
    let lost = 0;
    for (const [attemptId, orphan] of this.orphans) {
      if (orphan.deadline > now) break;
      const outcome = this.releaseOrphan(attemptId, orphan, orphan.reason);
      if (outcome === 'requeued') requeued += 1;
      else if (outcome === 'lost') lost += 1;
    }
    if (requeued > 0 || lost > 0) this.log.info({ requeued, lost, graceMs: this.agentGraceMs }, 'attempts of lost agents re-queued');
    this.scheduleOrphanSweep();
  };

  /**
   * Gives up an orphaned attempt: its task is re-queued with attempt+1, or, with no retry left,
   * finishes as a failure of kind `lost`.
   */
  private releaseOrphan(attemptId: string, orphan: Orphan, reason: string): 'requeued' | 'lost' | 'gone' {
    const record = orphan.record;
    if (this.attempts.get(attemptId) !== record) {
      this.orphans.delete(attemptId);
      return 'gone';
    }
    const agent = record.agent;
    this.endAttempt(record);
    if (this.shouldRetry(record, 'lost')) {
      this.requeue(record);
      return 'requeued';
    }
    const message = `agent "${agent}" was lost while running the task (attempt ${record.attempt}): ${reason}`;
    this.complete(record, { $case: 'failure', value: failure('lost', 'AgentLostError', message) }, agent, '');
    return 'lost';
  }

  /** Lease expiry of silent sessions; cancellation of jobs detached for too long. */
  private readonly tick = (): void => {
    if (this.closed) return;
    const now = Date.now();
    for (const session of [...this.sessions.values()]) {
      const silentMs = now - session.lastSeenMs;
      if (silentMs <= this.leaseMs) continue;
      session.log.info({ silentMs, leaseMs: this.leaseMs }, 'agent lease expired');
      this.removeSession(session, `its lease expired (nothing received for ${silentMs} ms)`);
      session.sink.abort(`lease expired: agent "${session.name}" (session ${session.sessionId}) sent nothing for ${silentMs} ms (lease ${this.leaseMs} ms, heartbeat every ${this.heartbeatMs} ms)`);
    }
    for (const job of [...this.jobs.values()]) {
      if (job.sink !== null || job.detachedAtMs === 0 || now - job.detachedAtMs < this.detachedJobTtlMs) continue;
      if (job.state === 'open') this.cancelJob(job, `no client attached for ${now - job.detachedAtMs} ms (detached jobs are kept ${this.detachedJobTtlMs} ms)`);
      else this.purge(job, `no client attached to take its results for ${this.detachedJobTtlMs} ms`);
    }
  };
}

/**
 * How many of `queued` tasks each session should take: its free slots first (work that starts at
 * once), then rounds of its slot count, never more than its credit.
 */
function shareBySlots(sessions: readonly AgentSession[], queued: number): number[] {
  const shares = new Array<number>(sessions.length).fill(0);
  let left = queued;
  for (let i = 0; i < sessions.length && left > 0; i++) {
    const session = sessions[i];
    const free = Math.max(0, session.capacity.slots - session.running.size);
    const take = Math.min(free, session.credit, left);
    shares[i] = take;
    left -= take;
  }
  while (left > 0) {
    let taken = 0;
    for (let i = 0; i < sessions.length && left > 0; i++) {
      const session = sessions[i];
      const take = Math.min(Math.max(1, session.capacity.slots), session.credit - shares[i], left);
      if (take <= 0) continue;
      shares[i] += take;
      left -= take;
      taken += take;
    }
    if (taken === 0) break;
  }
  return shares;
}

function failure(kind: string, name: string, message: string): pb.TaskFailure {
  return { kind, name, message, stack: '', itemOffset: 0, exitCode: 0, signal: '', stderrTail: '', retryable: false, code: '' };
}

function internalFailure(message: string): NonNullable<pb.TaskResult['outcome']> {
  return { $case: 'failure', value: failure('internal', 'InternalError', message) };
}

/** Bytes an encoded `TaskResult` adds to a batch: its own and, at most, a tag and length. */
function encodedResultSize(result: Uint8Array): number {
  return result.length + RESULT_FRAMING_BYTES;
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
