import type { Logger, pb } from '../protocol/index.ts';
import type { TaskServices } from './TaskServices.ts';
import { WorkerProcess, type WorkerExit } from './WorkerProcess.ts';
import { WorkerHandoff } from './WorkerHandoff.ts';
import type { CallMessage, NoteMessage, RunGroup, WorkerMessage } from './worker/messages.ts';

/** A running task whose attempt was cancelled gets this long to stop on its signal before its worker is killed. */
const CANCEL_GRACE_MS = 1000;
/**
 * Below this average task duration the pool sends busy workers several tasks ahead (about
 * {@link AHEAD_MS} of work, so that one IPC message carries many).
 */
const PIPELINE_BELOW_MS = 5;
/**
 * Below this average (and above {@link PIPELINE_BELOW_MS}), one task ahead: the worker starts it without
 * a round trip through the agent (0.2–1 ms, a noticeable share of such a task), as
 * `multiprocessing.Pool`'s workers pull the next task from a shared pipe. Above it, or while a job's
 * durations are not known, a task waits for a free worker rather than behind a long one.
 */
const ONE_AHEAD_BELOW_MS = 100;
/** How much work (in ms, by the running average) a worker is sent ahead of the task it runs... */
const AHEAD_MS = 4;
/** ...but never more tasks than this. */
const MAX_AHEAD = 63;
/**
 * A running task past this is "long": nothing more is sent ahead to its worker, and an idle worker takes
 * back (steals) the tasks waiting behind it, so a long task does not hold up the ones sent ahead.
 */
const LONG_TASK_MS = 5;
/** Jobs (and functions) whose running average the pool keeps, the most recent ones. */
const AVERAGES_KEPT = 1024;
/** Weight of the newest duration in the running average. */
const EWMA_ALPHA = 0.1;
/** A worker that keeps dying before it is ready is respawned no faster than this backoff allows. */
const RESPAWN_MAX_DELAY_MS = 5000;

/** One task (a chunk of items) for the pool to run. */
export interface PoolTask {
  attemptId: string;
  jobId: string;
  seq: number;
  attempt: number;
  firstIndex: number;
  /** Path of the verified bundle on disk. */
  bundlePath: string;
  exportName: string;
  /** The task payload (`encodeTaskPayload`: argument arrays or single arguments), passed to the worker untouched. */
  payload: Uint8Array;
  /** Slots (worker processes) the task occupies; at least 1. */
  slots: number;
  /** 0 = no limit. */
  timeoutMs: number;
  /**
   * How long the agent may hold this task's result to send it with later ones (`Assignment.result_wait_ms`;
   * absent or 0: at once). Carried for the agent; the pool does not read it.
   */
  resultWaitMs?: number;
}

/** How a task ended: the CBOR results, or why it failed. */
export type PoolOutcome = NonNullable<pb.AttemptResult['outcome']>;

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** Worker processes, i.e. slots. */
  size: number;
  /** Agent name, shown to tasks as `context.agent`. */
  agent: string;
  logger: Logger;
  /** Run worker processes as this user and group (see `AgentOptions.uid`). */
  uid?: number;
  gid?: number;
  /** Node flags for the workers (e.g. `--max-old-space-size=...`). */
  execArgv?: string[];
  /** Added to this process's niceness for the workers (see `AgentOptions.workerNice`); default 0. */
  nice?: number;
  /** Forward worker stderr to this process's stderr (default true). */
  forwardStderr?: boolean;
  /** Replace a worker process after it ran this many tasks (between tasks, never during one); default unlimited. */
  maxTasksPerWorker?: number;
  /**
   * Replace a worker process whose resident set passed this many MiB after a task (measured by the
   * worker when the task ends; it starts nothing more then); default unlimited.
   */
  maxWorkerRssMb?: number;
  /**
   * Serves the running tasks' `context.fetchBlob`, `storeFile`, `scratchDir`, `keepScratch` and
   * `trackChildProcess`; the pool releases an attempt's resources there when it ends. Without it those
   * calls are refused. The pool does not close it: its owner does, after {@link WorkerPool.stop}.
   */
  services?: TaskServices;
  /**
   * Inputs and results over `HANDOFF_BYTES` go between the agent and each worker as files in a directory
   * of the worker's own under this one (see `WorkerHandoff`), not through the IPC pipe; not for workers
   * of another user (`uid`). Default: none, everything through the pipe.
   */
  handoffDir?: string;
  /**
   * A task ended. `outcome` is undefined for a cancelled task, which is reported to nobody.
   * Not called for tasks still held when {@link WorkerPool.stop} kills the workers.
   */
  onSettled(task: PoolTask, outcome: PoolOutcome | undefined, worker: string, durationMs: number): void;
  /** A running task reported progress (CBOR value). */
  onProgress(task: PoolTask, value: Uint8Array, worker: string): void;
}

/** The pool's bookkeeping for one task. */
interface Entry {
  task: PoolTask;
  slot: Slot | undefined;
  /** When it became its worker's running task. */
  startedAt: number;
  /** Its timeout, or the grace given to it after a cancel. */
  timer: NodeJS.Timeout | undefined;
  cancelled: boolean;
  /** Asked back from the worker it was sent ahead to (to run on an idle one). */
  withdrawing: boolean;
  /**
   * Given up (see {@link WorkerPool.cancelQueued}) while sent ahead to a worker: asked back, and reported
   * to nobody if the worker gives it back; if the worker had just started it, its outcome is reported.
   */
  dropped: boolean;
  /** The other slots a multi-slot task keeps idle while it runs. */
  reserved: Slot[] | undefined;
}

/** A slot: one worker process at a time, the tasks sent to it in order (the first one runs). */
interface Slot {
  name: string;
  worker: WorkerProcess | undefined;
  inflight: Entry[];
  reservedBy: Entry | undefined;
  /** Whether it is on the idle stack (which may hold slots that are no longer idle; checked on pop). */
  listed: boolean;
  /** Why the agent is ending this slot's worker, and for which task. */
  killedFor: { entry: Entry; reason: 'timeout' | 'cancel' } | undefined;
  /** Consecutive deaths before `ready`, for the respawn backoff. */
  startFailures: number;
  /** Tasks placed in this dispatch, sent together at its end. */
  outbox: PoolTask[];
  respawnTimer: NodeJS.Timeout | undefined;
  /** Tasks placed on the current worker process (for `maxTasksPerWorker`). */
  placed: number;
  /** The current worker reported an RSS past `maxWorkerRssMb`: it takes nothing more. */
  overRss: boolean;
  /** The agent is ending the current worker to replace it (recycling), not because of a task. */
  recycling: boolean;
}

/**
 * A pool of long-lived worker processes, one per slot, each running one task at a time. Tasks run in
 * arrival order; a task needing k slots waits until k workers are free (and holds them). A worker that
 * exits mid-task is replaced at once under the same name, and its task fails with kind `crashed` (or
 * `oom`); a task past its timeout gets its worker killed and fails with kind `timeout`. A worker that
 * ran `maxTasksPerWorker` tasks, or whose RSS passed `maxWorkerRssMb` after a task, is recycled: it
 * takes nothing more, and once its last task ended it is replaced (same name, new process).
 *
 * @example
 * const pool = new WorkerPool({ size: 2, agent: 'a', logger, onSettled, onProgress });
 * await pool.start();
 * pool.submit(task);   // onSettled(task, { $case: 'value', value }, 'worker-1', ms) follows
 * await pool.stop();
 */
export class WorkerPool {
  readonly size: number;
  readonly #options: WorkerPoolOptions;
  readonly #log: Logger;
  readonly #slots: Slot[] = [];
  readonly #idle: Slot[] = [];
  readonly #queue = new Fifo<Entry>();
  readonly #entries = new Map<string, Entry>();
  #avgMs = 0;
  /**
   * Running average per job: whether to send a task ahead depends on how long *its* job's tasks take,
   * not on what an earlier job of tiny tasks taught the pool (that would stack a job's 4 ms tasks behind
   * one worker while another idles). Bounded to the most recent jobs.
   */
  readonly #jobAvg = new Map<string, { avgMs: number; samples: number; functionKey: string }>();
  /**
   * The latest job's running average per function (bundle and export), bounded like {@link #jobAvg}: a
   * new job of a function seen before sends one task ahead from its start (a `map` called in a loop
   * otherwise paid each worker a round trip through the agent after its first task, every time).
   */
  readonly #functionAvg = new Map<string, number>();
  #samples = 0;
  #workersStarted = 0;
  #stopping = false;
  #dispatchQueued = false;
  /** Withdrawals asked of workers and not answered yet. */
  #withdrawing = 0;
  /** Re-checks for tasks to steal, armed only while a worker idles and others have tasks waiting. */
  #stealTimer: NodeJS.Timeout | undefined;
  /** Slots with runs to send at the end of this dispatch. */
  readonly #outboxes: Slot[] = [];
  #stopped: Promise<void> | undefined;
  #startWaiter: { pending: number; resolve(): void; reject(e: Error): void } | undefined;
  /** 0 = unlimited. */
  readonly #maxTasks: number;
  /** 0 = unlimited. */
  readonly #maxRssBytes: number;
  #warnedRss = false;

  constructor(options: WorkerPoolOptions) {
    this.size = Math.max(1, Math.floor(options.size));
    this.#options = options;
    this.#log = options.logger;
    this.#maxTasks = options.maxTasksPerWorker !== undefined && options.maxTasksPerWorker > 0 ? Math.floor(options.maxTasksPerWorker) : 0;
    this.#maxRssBytes = options.maxWorkerRssMb !== undefined && options.maxWorkerRssMb > 0 ? Math.floor(options.maxWorkerRssMb * 1024 * 1024) : 0;
  }

  /** Spawn the workers; resolves when all are ready, rejects if one dies before. */
  start(): Promise<void> {
    // Handoff directories a killed agent left behind (their workers went with it).
    if (this.#options.handoffDir !== undefined && this.#options.uid === undefined) WorkerHandoff.sweep(this.#options.handoffDir);
    return new Promise<void>((resolve, reject) => {
      this.#startWaiter = { pending: this.size, resolve, reject };
      for (let i = 0; i < this.size; i++) {
        const slot: Slot = {
          name: `worker-${i + 1}`,
          worker: undefined,
          inflight: [],
          reservedBy: undefined,
          listed: false,
          killedFor: undefined,
          startFailures: 0,
          respawnTimer: undefined,
          outbox: [],
          placed: 0,
          overRss: false,
          recycling: false,
        };
        this.#slots.push(slot);
        this.#spawn(slot);
      }
    });
  }

  /** Worker processes started so far, replacements included (metrics derive restarts from it). */
  get workersStarted(): number {
    return this.#workersStarted;
  }

  /** Tasks running now (one per busy worker). */
  get running(): number {
    let n = 0;
    for (const s of this.#slots) if (s.inflight.length > 0) n++;
    return n;
  }

  /** Running average of task durations in ms (undefined before the first result). */
  get averageTaskMs(): number | undefined {
    return this.#samples === 0 ? undefined : this.#avgMs;
  }

  /** Tasks held but not running (queued here, or sent ahead to a busy worker). */
  get queued(): number {
    return this.#entries.size - this.running;
  }

  /** Worker processes up and taking tasks (the pool is at full size when this equals `size`). */
  get ready(): number {
    let n = 0;
    for (const s of this.#slots) if (s.worker !== undefined && s.worker.ready && !s.worker.dying) n++;
    return n;
  }

  /** Whether the attempt is held here (queued, sent ahead or running). */
  has(attemptId: string): boolean {
    return this.#entries.has(attemptId);
  }

  /** Attempts held here that will still report (queued, sent ahead or running; not those being cancelled). */
  attemptIds(): string[] {
    const ids: string[] = [];
    for (const [id, e] of this.#entries) if (!e.cancelled && !e.dropped) ids.push(id);
    return ids;
  }

  /** Queue a task; it runs when enough workers are free. */
  submit(task: PoolTask): void {
    if (this.#stopping) return;
    const entry: Entry = { task, slot: undefined, startedAt: 0, timer: undefined, cancelled: false, withdrawing: false, dropped: false, reserved: undefined };
    this.#entries.set(task.attemptId, entry);
    if (!(task.slots >= 1)) task.slots = 1;
    if (task.slots > this.size) {
      const failure = this.#failure('internal', `the task needs ${task.slots} slots but this agent has only ${this.size} worker processes`);
      queueMicrotask(() => this.#settle(entry, failure, 0));
      return;
    }
    this.#queue.push(entry);
    this.#requestDispatch();
  }

  /**
   * Cancel an attempt: drop it if queued; otherwise abort its signal in the worker and kill the worker
   * if it has not finished a second later. Nothing is reported for it. Returns false if unknown.
   */
  cancel(attemptId: string): boolean {
    const entry = this.#entries.get(attemptId);
    if (entry === undefined) return false;
    if (entry.cancelled) return true;
    entry.cancelled = true;
    const slot = entry.slot;
    if (slot === undefined) {
      this.#queue.remove(entry);
      this.#settle(entry, undefined, 0);
      return true;
    }
    slot.worker?.send({ type: 'abort', attemptId });
    if (slot.inflight[0] === entry) this.#armHead(slot);
    return true;
  }

  /**
   * Drop every task not started (nothing is reported for them); returns how many. Those queued here go
   * at once; those sent ahead to a busy worker are asked back, and settle (unreported) when the worker
   * gives them back — or, if it had just started one, when it ends, reported then (it ran, and must not
   * run twice). {@link attemptIds} no longer lists any of them. Used when the coordinator session is
   * lost, or the agent drains: the coordinator re-queues them itself.
   */
  cancelQueued(): number {
    const dropped = this.#queue.takeAll();
    for (const entry of dropped) {
      entry.cancelled = true;
      this.#settle(entry, undefined, 0);
    }
    let ahead = 0;
    for (const slot of this.#slots) {
      for (let i = 1; i < slot.inflight.length; i++) {
        const e = slot.inflight[i];
        if (e.cancelled || e.dropped) continue;
        e.dropped = true;
        ahead++;
        // A withdrawal already asked (a steal) brings it back just the same.
        if (!e.withdrawing) slot.worker?.send({ type: 'withdraw', attemptId: e.task.attemptId });
      }
    }
    return dropped.length + ahead;
  }

  /**
   * Give up to `count` of the tasks waiting here (not sent to a worker) back, the last queued first;
   * nothing is reported for them. Returns their attempt ids in queue order. The agent hands them back to
   * the coordinator when it holds more than it can run soon.
   */
  takeBack(count: number): string[] {
    const taken = this.#queue.popBack(count);
    const ids: string[] = [];
    for (let i = taken.length - 1; i >= 0; i--) {
      const entry = taken[i];
      entry.cancelled = true;
      ids.push(entry.task.attemptId);
      this.#settle(entry, undefined, 0);
    }
    return ids;
  }

  /** Kill every worker now (tasks still held are abandoned, not reported) and wait for them to exit. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#stealTimer);
    const exits: Promise<void>[] = [];
    for (const slot of this.#slots) {
      clearTimeout(slot.respawnTimer);
      for (const e of slot.inflight) clearTimeout(e.timer);
      if (slot.worker) {
        slot.worker.kill();
        exits.push(slot.worker.exited);
      }
    }
    this.#startWaiter?.reject(new Error('the worker pool was stopped while starting'));
    this.#startWaiter = undefined;
    await Promise.all(exits);
    this.#queue.takeAll();
    this.#entries.clear();
  }

  #spawn(slot: Slot): void {
    this.#workersStarted += 1;
    slot.respawnTimer = undefined;
    slot.placed = 0;
    slot.overRss = false;
    slot.recycling = false;
    slot.worker = new WorkerProcess({
      name: slot.name,
      execArgv: this.#options.execArgv,
      forwardStderr: this.#options.forwardStderr,
      maxRssBytes: this.#maxRssBytes,
      uid: this.#options.uid,
      gid: this.#options.gid,
      nice: this.#options.nice,
      ...(this.#options.handoffDir !== undefined ? { handoffDir: this.#options.handoffDir } : {}),
      onMessage: (worker, message) => this.#onMessage(slot, worker, message),
      onExit: (worker, exit) => this.#onExit(slot, worker, exit),
    });
  }

  #isIdle(slot: Slot): boolean {
    const w = slot.worker;
    return w !== undefined && w.ready && !w.dying && slot.inflight.length === 0 && slot.reservedBy === undefined && !this.#retiring(slot);
  }

  /** The slot's worker takes nothing more: it is to be recycled once its tasks ended. */
  #retiring(slot: Slot): boolean {
    return slot.overRss || slot.recycling || (this.#maxTasks > 0 && slot.placed >= this.#maxTasks);
  }

  /** The slot's worker ran down its tasks: recycle it if it is due, else it is idle. */
  #afterTasks(slot: Slot): void {
    const w = slot.worker;
    if (slot.inflight.length > 0 || w === undefined || w.dying) return;
    if (!this.#retiring(slot)) {
      this.#markIdle(slot);
      return;
    }
    if (slot.reservedBy !== undefined) return;
    slot.recycling = true;
    this.#log.debug({ worker: slot.name, tasks: slot.placed, overRss: slot.overRss }, 'recycling worker');
    // Idle, so SIGTERM ends it at once; the replacement is spawned when it has exited (see #onExit),
    // so a worker recycled for its RSS is gone before the next one takes memory.
    w.terminate();
  }

  #markIdle(slot: Slot): void {
    if (!slot.listed && this.#isIdle(slot)) {
      slot.listed = true;
      this.#idle.push(slot);
    }
  }

  #takeIdle(): Slot | undefined {
    for (;;) {
      const slot = this.#idle.pop();
      if (slot === undefined) return undefined;
      slot.listed = false;
      if (this.#isIdle(slot)) return slot;
    }
  }

  /**
   * The busy worker that should take `entry` ahead of what it runs, for a job of short tasks: one task
   * behind the running one, so that no worker idles for a round trip through the agent between tasks (P4
   * lost ~1 ms per 5–8 ms task so); more when they are tiny, about {@link AHEAD_MS} of work. Of the least
   * loaded workers, the one whose task has run longest (likely the first to be free). A task sent ahead
   * that waits behind a long one is taken back by the next idle worker (see {@link #steal}), which costs
   * that worker the round trip it would have waited for anyway.
   */
  #takeAhead(entry: Entry, now: number): Slot | undefined {
    // A task with a timeout only goes to an idle worker, so its clock starts when it really starts.
    if (entry.task.timeoutMs > 0) return undefined;
    const job = this.#jobAvg.get(entry.task.jobId);
    // Before its own first duration, a job goes by its function's last one, and never more than one ahead.
    const avgMs = job?.avgMs ?? this.#functionAvg.get(functionKey(entry.task));
    if (avgMs === undefined || avgMs >= ONE_AHEAD_BELOW_MS) return undefined;
    const tiny = job !== undefined && avgMs < PIPELINE_BELOW_MS;
    const limit = tiny ? 1 + Math.min(MAX_AHEAD, Math.max(1, Math.ceil(AHEAD_MS / avgMs))) : 2;
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      const w = slot.worker;
      const head = slot.inflight[0];
      if (w === undefined || !w.ready || w.dying || head === undefined || slot.inflight.length >= limit || slot.reservedBy !== undefined || this.#retiring(slot)) continue;
      // Top a worker up only once it has run down to half its tasks ahead, so one IPC message carries many.
      if (slot.outbox.length === 0 && slot.inflight.length > 1 + (limit - 1) / 2) continue;
      // Not behind a task that is about to be killed (cancelled, or may time out): the task sent ahead
      // would only come back to the queue late. Nor behind a multi-slot task, whose slots stay reserved.
      if (head.cancelled || head.reserved !== undefined || head.task.timeoutMs > 0) continue;
      // Tiny tasks do not pile up behind a surprise long one (a single one ahead may: it is stolen back).
      if (tiny && now - head.startedAt > LONG_TASK_MS) continue;
      if (best === undefined || slot.inflight.length < best.inflight.length || (slot.inflight.length === best.inflight.length && head.startedAt < best.inflight[0].startedAt)) best = slot;
    }
    return best;
  }

  /**
   * Dispatch once per burst of events (a batch of assignments, the results read in one go), so the
   * tasks a worker gets at once travel in one IPC message.
   */
  #requestDispatch(): void {
    if (this.#dispatchQueued) return;
    this.#dispatchQueued = true;
    queueMicrotask(() => {
      this.#dispatchQueued = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    const now = performance.now();
    this.#fill(now);
    for (const slot of this.#outboxes) {
      const tasks = slot.outbox;
      slot.outbox = [];
      slot.worker?.send({ type: 'runs', agent: this.#options.agent, worker: slot.name, groups: runGroups(tasks) });
    }
    this.#outboxes.length = 0;
    if (this.#queue.size === 0 && !this.#stopping) this.#steal(now);
  }

  /**
   * With nothing queued here but workers idle, take back tasks waiting behind a long-running one on
   * another worker (the last one first); they run on the idle workers once the worker confirms.
   */
  #steal(now: number): void {
    clearTimeout(this.#stealTimer);
    this.#stealTimer = undefined;
    let idle = 0;
    for (const slot of this.#slots) if (this.#isIdle(slot)) idle++;
    idle -= this.#withdrawing;
    if (idle <= 0) return;
    let recheckIn = Infinity;
    for (const slot of this.#slots) {
      if (idle === 0) break;
      const head = slot.inflight[0];
      if (head === undefined || slot.inflight.length < 2 || slot.worker === undefined || slot.worker.dying) continue;
      const ranFor = now - head.startedAt;
      if (ranFor <= LONG_TASK_MS) {
        recheckIn = Math.min(recheckIn, LONG_TASK_MS - ranFor);
        continue;
      }
      for (let i = slot.inflight.length - 1; i >= 1 && idle > 0; i--) {
        const e = slot.inflight[i];
        if (e.withdrawing || e.cancelled || e.dropped) continue;
        e.withdrawing = true;
        this.#withdrawing++;
        idle--;
        slot.worker.send({ type: 'withdraw', attemptId: e.task.attemptId });
      }
    }
    if (idle > 0 && recheckIn !== Infinity) {
      this.#stealTimer = setTimeout(() => this.#dispatch(), Math.ceil(recheckIn) + 1);
    }
  }

  /**
   * The worker gave back a task it had not started (asked to, or on its own past its RSS ceiling): it
   * goes to the front of the queue.
   */
  #onWithdrawn(slot: Slot, attemptId: string): void {
    const i = slot.inflight.findIndex((e) => e.task.attemptId === attemptId);
    if (i < 0) return;
    const entry = slot.inflight[i];
    slot.inflight.splice(i, 1);
    slot.placed--;
    // The pool may have counted it as running (the head) although the worker never started it.
    clearTimeout(entry.timer);
    entry.timer = undefined;
    if (i === 0 && slot.inflight.length > 0) this.#startHead(slot);
    entry.slot = undefined;
    if (entry.withdrawing) {
      entry.withdrawing = false;
      this.#withdrawing--;
    }
    if (entry.cancelled || entry.dropped) {
      this.#settle(entry, undefined, 0);
    } else {
      this.#queue.unshift([entry]);
    }
    this.#afterTasks(slot);
    this.#requestDispatch();
  }

  /** Place queued tasks on workers, in order, as far as free (or, for short tasks, busy) workers allow. */
  #fill(now: number): void {
    while (this.#queue.size > 0 && !this.#stopping) {
      const entry = this.#queue.peek()!;
      let slot: Slot | undefined;
      if (entry.task.slots === 1) {
        slot = this.#takeIdle() ?? this.#takeAhead(entry, now);
        if (slot === undefined) return;
      } else {
        // Rare path: gather k idle slots, run on one, keep the others idle until it ends. Tasks behind
        // it wait too (first come, first served), so a wide task is never starved by narrow ones.
        const idle = this.#slots.filter((s) => this.#isIdle(s));
        if (idle.length < entry.task.slots) return;
        slot = idle[0];
        entry.reserved = idle.slice(1, entry.task.slots);
        for (const s of entry.reserved) s.reservedBy = entry;
      }
      this.#queue.shift();
      this.#place(entry, slot);
    }
  }

  #place(entry: Entry, slot: Slot): void {
    const t = entry.task;
    entry.slot = slot;
    slot.inflight.push(entry);
    slot.placed++;
    if (slot.outbox.length === 0) this.#outboxes.push(slot);
    slot.outbox.push(t);
    if (slot.inflight.length === 1) this.#startHead(slot);
  }

  /** The slot's first task is now the one running. */
  #startHead(slot: Slot): void {
    const head = slot.inflight[0];
    head.startedAt = performance.now();
    this.#armHead(slot);
  }

  /** Arm the running task's timer: the cancel grace if cancelled, else its timeout if it has one. */
  #armHead(slot: Slot): void {
    const head = slot.inflight[0];
    clearTimeout(head.timer);
    head.timer = undefined;
    if (head.cancelled) {
      head.timer = setTimeout(() => this.#kill(slot, head, 'cancel'), CANCEL_GRACE_MS);
    } else if (head.task.timeoutMs > 0) {
      const left = head.task.timeoutMs - (performance.now() - head.startedAt);
      head.timer = setTimeout(() => this.#kill(slot, head, 'timeout'), Math.max(0, left));
    }
  }

  #kill(slot: Slot, entry: Entry, reason: 'timeout' | 'cancel'): void {
    entry.timer = undefined;
    const worker = slot.worker;
    if (slot.inflight[0] !== entry || worker === undefined || worker.dying) return;
    slot.killedFor = { entry, reason };
    this.#log.debug({ worker: slot.name, attemptId: entry.task.attemptId, reason }, 'killing worker');
    // A timed-out task gets SIGTERM first (then SIGKILL); a cancelled one already had its grace second.
    if (reason === 'timeout') worker.terminate();
    else worker.kill();
  }

  #onMessage(slot: Slot, worker: WorkerProcess, message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        slot.startFailures = 0;
        if (this.#startWaiter && --this.#startWaiter.pending === 0) {
          this.#startWaiter.resolve();
          this.#startWaiter = undefined;
        }
        this.#markIdle(slot);
        this.#requestDispatch();
        return;
      case 'progress': {
        const entry = this.#entries.get(message.attemptId);
        if (entry !== undefined && !entry.cancelled && entry.slot === slot) {
          this.#options.onProgress(entry.task, message.value, slot.name);
        }
        return;
      }
      case 'result':
      case 'failure':
        if (worker !== slot.worker) return;
        this.#onDone(slot, message);
        return;
      case 'withdrawn':
        if (worker !== slot.worker) return;
        this.#onWithdrawn(slot, message.attemptId);
        return;
      case 'call':
        this.#onCall(slot, worker, message);
        return;
      case 'note':
        this.#onNote(slot, worker, message);
        return;
    }
  }

  /** Whether the attempt is the one `worker` runs now (only it may use the task services). */
  #isRunning(slot: Slot, worker: WorkerProcess, attemptId: string): boolean {
    const head = slot.inflight[0];
    return worker === slot.worker && head !== undefined && head.task.attemptId === attemptId;
  }

  /** A running task asked the agent something (context.fetchBlob, storeFile, scratchDir): answer it. */
  #onCall(slot: Slot, worker: WorkerProcess, message: CallMessage): void {
    const services = this.#options.services;
    let answer: Promise<unknown>;
    if (services === undefined) {
      answer = Promise.reject(new Error('this agent offers no task services'));
    } else if (!this.#isRunning(slot, worker, message.attemptId)) {
      answer = Promise.reject(new Error('the attempt has ended'));
    } else {
      const { type: _type, id: _id, attemptId: _attemptId, ...request } = message;
      answer = services.call(message.attemptId, slot.inflight[0]!.task.jobId, request);
    }
    const id = message.id;
    answer.then(
      (value) => worker.send({ type: 'reply', id, value }),
      (error: unknown) => {
        const e = error instanceof Error ? (error as Error & { code?: unknown }) : undefined;
        const code = typeof e?.code === 'string' ? e.code : '';
        worker.send({ type: 'reply', id, error: { name: e?.name ?? 'Error', message: e?.message ?? String(error), code } });
      },
    );
  }

  /** A running task tracks or untracks a child process group, or keeps its scratch directory. */
  #onNote(slot: Slot, worker: WorkerProcess, message: NoteMessage): void {
    const services = this.#options.services;
    if (services === undefined) return;
    const running = this.#isRunning(slot, worker, message.attemptId);
    if (message.op === 'track') {
      // Tracked by an attempt that already ended: nothing would kill it later, so now.
      if (running) services.track(message.attemptId, message.pid);
      else services.killGroup(message.pid);
    } else if (message.op === 'untrack') {
      services.untrack(message.attemptId, message.pid);
    } else if (running) {
      services.keepScratch(message.attemptId);
    }
  }

  #onDone(slot: Slot, message: WorkerMessage & { type: 'result' | 'failure' }): void {
    const i = slot.inflight[0]?.task.attemptId === message.attemptId ? 0 : slot.inflight.findIndex((e) => e.task.attemptId === message.attemptId);
    if (i < 0) return;
    const entry = slot.inflight[i];
    slot.inflight.splice(i, 1);
    clearTimeout(entry.timer);
    if (this.#maxRssBytes > 0 && message.rss > this.#maxRssBytes && !slot.overRss) {
      // The worker stops here too: it gives back whatever was sent ahead to it (see workerMain).
      slot.overRss = true;
      if (slot.placed === 1 && !this.#warnedRss) {
        this.#warnedRss = true;
        this.#log.warn({ worker: slot.name, rssMb: Math.round(message.rss / 2 ** 20), maxWorkerRssMb: this.#options.maxWorkerRssMb }, 'a worker passed maxWorkerRssMb after its first task: workers will be recycled after every task');
      }
    }
    if (entry.withdrawing) {
      // It had started before the worker read the withdrawal: it simply finished.
      entry.withdrawing = false;
      this.#withdrawing--;
    }
    let durationMs = 0;
    if (i === 0) {
      durationMs = performance.now() - entry.startedAt;
      this.#avgMs = this.#samples++ === 0 ? durationMs : this.#avgMs + EWMA_ALPHA * (durationMs - this.#avgMs);
      const jobId = entry.task.jobId;
      let job = this.#jobAvg.get(jobId);
      if (job === undefined) {
        if (this.#jobAvg.size >= AVERAGES_KEPT) this.#jobAvg.delete(this.#jobAvg.keys().next().value!);
        // The function's key is made once per job, not per task.
        job = { avgMs: durationMs, samples: 1, functionKey: functionKey(entry.task) };
        this.#jobAvg.set(jobId, job);
        if (!this.#functionAvg.has(job.functionKey) && this.#functionAvg.size >= AVERAGES_KEPT) this.#functionAvg.delete(this.#functionAvg.keys().next().value!);
      } else {
        job.avgMs += EWMA_ALPHA * (durationMs - job.avgMs);
        job.samples++;
      }
      this.#functionAvg.set(job.functionKey, job.avgMs);
    }
    let outcome: PoolOutcome | undefined;
    // A dropped task that reports here had started before the worker read the request to give it
    // back: it ran, so its result is reported like any other (the coordinator takes it if the attempt
    // is still current, and fences it off otherwise) rather than thrown away to run again elsewhere.
    if (entry.cancelled || (message.type === 'failure' && message.kind === 'cancelled')) {
      outcome = undefined;
    } else if (message.type === 'result') {
      const v = message.value;
      outcome = { $case: 'value', value: Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength) };
    } else {
      outcome = {
        $case: 'failure',
        value: {
          kind: message.kind,
          name: message.name,
          message: message.message,
          stack: message.stack,
          itemOffset: message.itemOffset,
          exitCode: 0,
          signal: '',
          stderrTail: '',
          retryable: message.retryable,
          code: message.code,
        },
      };
    }
    if (i === 0 && slot.inflight.length > 0) this.#startHead(slot);
    this.#settle(entry, outcome, durationMs);
    this.#afterTasks(slot);
    this.#requestDispatch();
  }

  #onExit(slot: Slot, worker: WorkerProcess, exit: WorkerExit): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    if (this.#stopping) return;
    const wasReady = worker.ready;
    const recycled = slot.recycling && slot.inflight.length === 0;
    const inflight = slot.inflight;
    const killedFor = slot.killedFor;
    slot.inflight = [];
    slot.killedFor = undefined;

    const requeue: Entry[] = [];
    for (let i = 0; i < inflight.length; i++) {
      const e = inflight[i];
      clearTimeout(e.timer);
      e.timer = undefined;
      if (e.withdrawing) {
        e.withdrawing = false;
        this.#withdrawing--;
      }
      if (e.cancelled || e.dropped) {
        this.#settle(e, undefined, 0);
      } else if (killedFor?.entry === e) {
        const f = this.#failure('timeout', `the task ran past its timeout of ${e.task.timeoutMs} ms, so its worker was stopped`, exit);
        this.#settle(e, f, performance.now() - e.startedAt);
      } else if (i === 0 && killedFor === undefined) {
        this.#settle(e, this.#crashFailure(exit), performance.now() - e.startedAt);
      } else {
        // Sent ahead to this worker but never started (or a bystander of a kill): run it elsewhere.
        e.slot = undefined;
        requeue.push(e);
      }
    }
    this.#queue.unshift(requeue);

    const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
    if (!wasReady) {
      this.#log.error({ worker: slot.name, stderrTail: exit.stderrTail }, `worker process died before it was ready (${how})`);
      if (this.#startWaiter) {
        const waiter = this.#startWaiter;
        this.#startWaiter = undefined;
        waiter.reject(new Error(`worker process ${slot.name} died while starting (${how}):\n${exit.stderrTail}`));
        return;
      }
      const delay = Math.min(RESPAWN_MAX_DELAY_MS, 100 * 2 ** slot.startFailures++);
      slot.respawnTimer = setTimeout(() => this.#spawn(slot), delay);
      return;
    }
    if (recycled) this.#log.debug({ worker: slot.name }, 'worker recycled');
    else if (killedFor === undefined) {
      const task = inflight[0]?.task;
      // Name the task it ran (if any), so the crash can be found next to its job in the logs.
      this.#log.warn({ worker: slot.name, busy: task !== undefined, ...(task ? { jobId: task.jobId, attemptId: task.attemptId, seq: task.seq } : {}) }, `worker process exited (${how}); replacing it`);
    }
    this.#spawn(slot);
    this.#requestDispatch();
  }

  #settle(entry: Entry, outcome: PoolOutcome | undefined, durationMs: number): void {
    this.#entries.delete(entry.task.attemptId);
    // Kills the process groups it left and removes its scratch directory (a no-op for most attempts).
    this.#options.services?.release(entry.task.attemptId);
    if (entry.reserved !== undefined) {
      for (const s of entry.reserved) {
        s.reservedBy = undefined;
        this.#afterTasks(s);
      }
      entry.reserved = undefined;
    }
    this.#options.onSettled(entry.task, outcome, entry.slot?.name ?? '', Math.round(durationMs));
  }

  #crashFailure(exit: WorkerExit): PoolOutcome {
    if (/JavaScript heap out of memory|Reached heap limit/.test(exit.stderrTail)) {
      return this.#failure('oom', 'the worker ran out of memory (JavaScript heap) while running the task', exit);
    }
    const hint =
      exit.signal === 'SIGABRT'
        ? 'The worker aborted (process.abort(), or a fatal error in native code).'
        : exit.signal
          ? 'Something killed it (the kernel OOM killer sends SIGKILL).'
          : 'The task, or code it called, ended the process (process.exit?).';
    return this.#failure('crashed', hint, exit);
  }

  #failure(kind: string, message: string, exit?: WorkerExit): PoolOutcome {
    const value: pb.TaskFailure = {
      kind,
      name: '',
      message,
      stack: '',
      itemOffset: 0,
      exitCode: exit?.code ?? 0,
      signal: exit?.signal ?? '',
      stderrTail: exit?.stderrTail ?? '',
      retryable: false,
      code: '',
    };
    return { $case: 'failure', value };
  }
}

/** First in, first out, with O(1) `shift` (Array#shift copies once the array is large). */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  peek(): T | undefined {
    return this.#items[this.#head];
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Put items back at the front, in their order. */
  unshift(items: T[]): void {
    if (items.length === 0) return;
    this.#items = [...items, ...this.#items.slice(this.#head)];
    this.#head = 0;
  }

  remove(item: T): void {
    const i = this.#items.indexOf(item, this.#head);
    if (i >= 0) this.#items.splice(i, 1);
  }

  /** Remove up to `count` items from the back, returning them back first. */
  popBack(count: number): T[] {
    const taken: T[] = [];
    while (taken.length < count && this.#items.length > this.#head) taken.push(this.#items.pop()!);
    if (this.#items.length === this.#head) {
      this.#items = [];
      this.#head = 0;
    }
    return taken;
  }

  /** Empty the queue, returning what it held. */
  takeAll(): T[] {
    const items = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return items;
  }
}

/** Tasks in order, consecutive ones of the same job's function sharing a group (see RunsMessage). */
function runGroups(tasks: readonly PoolTask[]): RunGroup[] {
  const groups: RunGroup[] = [];
  let group: RunGroup | undefined;
  for (const t of tasks) {
    if (group === undefined || group.jobId !== t.jobId || group.bundlePath !== t.bundlePath || group.exportName !== t.exportName) {
      group = { bundlePath: t.bundlePath, exportName: t.exportName, jobId: t.jobId, runs: [] };
      groups.push(group);
    }
    group.runs.push({ attemptId: t.attemptId, payload: t.payload, seq: t.seq, firstIndex: t.firstIndex, attempt: t.attempt });
  }
  return groups;
}

/** A task's function, as the pool keeps its running average. */
function functionKey(task: PoolTask): string {
  return `${task.bundlePath}\n${task.exportName}`;
}
