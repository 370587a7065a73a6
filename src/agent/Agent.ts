import packageJson from '../../package.json' with { type: 'json' };
import os from 'node:os';
import { join } from 'node:path';
import { AgentsClient, clientChannelOptions, ConnectionError, createChannelCredentials, MAX_MESSAGE_BYTES, pb, UsageError, type Logger } from '../protocol/index.ts';
import { createLogger } from '../protocol/logging/index.ts';
import type { AgentOptions } from './AgentOptions.ts';
import { BlobCache } from './BlobCache.ts';
import { CoordinatorLink } from './CoordinatorLink.ts';
import { probeCapacity } from './probeCapacity.ts';
import { probeCores } from './probeCores.ts';
import { TaskServices } from './TaskServices.ts';
import { WorkerPool, type PoolOutcome, type PoolTask } from './WorkerPool.ts';
import { AgentHttpSide } from './http/AgentHttpSide.ts';
import { AgentMetrics } from './http/AgentMetrics.ts';

/** A results message is cut once its payload passes this, keeping messages small and latency low. */
const RESULTS_MESSAGE_BYTES = 1024 * 1024;
/** Heartbeat interval when the coordinator names none (`Registered.heartbeat_ms` = 0). */
const DEFAULT_HEARTBEAT_MS = 5000;
/** A heartbeat interval shorter than this from a coordinator is taken as this. */
const MIN_HEARTBEAT_MS = 50;
/** The coordinator ends a session's lease after this many heartbeat intervals of silence (agents.proto). */
const LEASE_INTERVALS = 3;
/** Default bound on the payload of results kept until the coordinator acknowledges them. */
const MAX_UNACKED_RESULT_BYTES = 256 * 1024 * 1024;
/** By default a draining stop waits this long for the coordinator to acknowledge the last results (reconnecting if need be). */
const DRAIN_ACK_MS = 10_000;
/**
 * Work (by the running average task duration) the default prefetch aims to keep queued per worker: more
 * than a credit round trip through the coordinator takes on a busy machine (8 ms left P4's 5–8 ms tasks
 * waiting for assignments), little enough that agents' queues stay short next to the tasks' length.
 */
const PREFETCH_MS = 20;
/** The default prefetch never exceeds this many tasks per worker. */
const MAX_PREFETCH_PER_SLOT = 128;
/** Work held per worker (by the running average) past which the agent hands back the surplus over its prefetch. */
const HAND_BACK_AFTER_MS = 1000;
/** Niceness the worker processes get above the agent's by default (see `AgentOptions.workerNice`). */
const DEFAULT_WORKER_NICE = 5;
/** By default `start()` gives up reaching the coordinator after this. */
const START_TIMEOUT_MS = 10_000;

// Imported rather than read from disk, so that a bundle (the single-executable agent) carries it.
const VERSION = packageJson.version;

/**
 * An agent: announces this machine's capacity to a coordinator, takes the tasks it is assigned (up to
 * the credit it granted), runs them in a pool of worker processes and streams the results back. It
 * reconnects on its own when the coordinator goes away; tasks keep running meanwhile.
 *
 * Nothing finished is lost: every result is kept until the coordinator acknowledges it
 * (`results_accepted`, sent once the result is durable) and is sent again on each new session until
 * then. On a new session the agent lists in `register.running_attempt_ids` what it still holds, so
 * the coordinator keeps those (or cancels them) instead of running them a second time.
 *
 * @example
 * const agent = new Agent({ coordinator: '127.0.0.1:7070', processes: 4 });
 * await agent.start();
 * process.once('SIGTERM', () => void agent.stop({ drain: true }));
 */
export class Agent {
  readonly name: string;
  readonly #options: AgentOptions;
  readonly #log: Logger;
  #capacity: pb.Capacity | undefined;
  #pool: WorkerPool | undefined;
  #cache: BlobCache | undefined;
  #services: TaskServices | undefined;
  #link: CoordinatorLink | undefined;
  #client: pb.AgentsClient | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #heartbeatMs = DEFAULT_HEARTBEAT_MS;
  /** Armed while disconnected: once the last session's lease must have run out, drop what has not started. */
  #leaseTimer: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;
  readonly #maxUnackedBytes: number;

  /** Worker processes. */
  #slots = 0;
  /** Tasks taken and not finished. */
  #held = 0;
  /** Credit granted in the current session and not yet consumed by assignments. */
  #credit = 0;
  /** The coordinator of this session takes credit inside results messages (`Registered.credit_with_results`). */
  #creditWithResults = false;
  #draining = false;
  /** A draining stop is under way: assignments that arrive now are not run (the coordinator re-queues them). */
  #handingBack = false;
  /** Tasks waiting for their bundle, by attempt id. */
  readonly #fetching = new Map<string, PoolTask>();
  /**
   * Finished attempts' results the coordinator has not acknowledged, in completion order. Kept across
   * sessions and sent again on each new one until `results_accepted` names them.
   */
  readonly #unacked = new Map<string, pb.AttemptResult>();
  /** Payload bytes (by {@link resultBytes}) in {@link #unacked}. */
  #unackedBytes = 0;
  /** Results not yet sent on the current session (from `#unsentHead` on); acknowledged ones are skipped. */
  #unsent: pb.AttemptResult[] = [];
  #unsentHead = 0;
  /** Latest progress per attempt since the last flush. */
  #progress = new Map<string, pb.AttemptProgress>();
  #flushQueued = false;
  /** Armed while results wait to go out with later ones (`Assignment.result_wait_ms`); every flush clears it. */
  #holdTimer: NodeJS.Timeout | undefined;
  #idleWaiters: (() => void)[] = [];
  #ackWaiters: (() => void)[] = [];
  /** Prometheus metrics, served when `httpListen` is set. */
  readonly #metrics = new AgentMetrics();
  #http: AgentHttpSide | undefined;

  constructor(options: AgentOptions) {
    this.#options = options;
    this.name = options.name ?? `${os.hostname()}-${process.pid}`;
    // Every line names the agent, so logs of many agents can be merged.
    this.#log = (options.logger ?? createLogger({ name: 'agent' })).child({ agent: this.name });
    this.#maxUnackedBytes = options.maxUnackedResultBytes ?? MAX_UNACKED_RESULT_BYTES;
    for (const key of ['uid', 'gid'] as const) {
      const id = options[key];
      if (id !== undefined && !(Number.isInteger(id) && id >= 0 && id < 2 ** 32)) throw new UsageError(`Agent: ${key} must be a user or group number, got ${id}`);
    }
    if (options.gid !== undefined && options.uid === undefined) throw new UsageError('Agent: gid needs uid (the user the worker processes run as)');
    const nice = options.workerNice;
    if (nice !== undefined && !(Number.isInteger(nice) && nice >= 0 && nice <= 19)) throw new UsageError(`Agent: workerNice must be an integer from 0 to 19, got ${nice}`);
    // Only root may start processes as another user; fail now rather than at every worker spawn.
    if (options.uid !== undefined && options.uid !== process.getuid?.() && process.getuid?.() !== 0) {
      throw new UsageError(`Agent: running workers as uid ${options.uid} needs the agent to run as root (it runs as uid ${process.getuid?.()})`);
    }
  }

  /** The HTTP side's `host:port`, when `httpListen` was given and `start()` resolved. */
  get httpAddress(): string | undefined {
    return this.#http?.address;
  }

  /** Results finished here and not yet acknowledged by the coordinator. */
  get unacknowledged(): number {
    return this.#unacked.size;
  }

  /** What this agent announced (after `start()`). */
  get capacity(): pb.Capacity | undefined {
    return this.#capacity;
  }

  /**
   * Probe capacity, spawn the workers, connect and register. Resolves once registered; rejects with a
   * `ConnectionError` when the coordinator cannot be reached within ~10 s (the workers are killed then).
   */
  async start(): Promise<void> {
    const o = this.#options;
    const probeOptions = {
      ...(o.processes !== undefined ? { processes: o.processes } : {}),
      ...(o.labels ? { labels: o.labels } : {}),
      ...(o.resources ? { resources: o.resources } : {}),
    };
    // The full probe runs a python importing SUMO's modules (~0.25 s); the workers start meanwhile,
    // sized by the quick part, and registration waits for both (a third of `connect()`'s start-up).
    const cores = await probeCores(probeOptions);
    const probing = probeCapacity({ ...probeOptions, cores });
    probing.catch(() => {});
    if (this.#stopping) throw new ConnectionError('the agent was stopped while starting');
    const { slots } = cores;
    this.#slots = slots;

    const credentials = createChannelCredentials(o.tls);
    const channelOptions = clientChannelOptions(o.token, o.tls);
    const client = new AgentsClient(o.coordinator, credentials, channelOptions);
    this.#client = client;
    const blobs = new pb.BlobsClient(o.coordinator, credentials, { ...channelOptions, channelOverride: client.getChannel() });
    const owner = o.uid === undefined ? undefined : { uid: o.uid, gid: o.gid ?? o.uid };
    // Workers of another user get directories of their own (opened to their group), not the agent user's default ones.
    const uid = `${process.getuid?.() ?? os.userInfo().username}${owner ? `-w${owner.uid}` : ''}`;
    // Blob calls name the session (with the job they are for): the coordinator checks it holds an attempt of the job.
    const sessionId = (): string => this.#link?.sessionId ?? '';
    this.#cache = new BlobCache({ dir: o.cacheDir ?? join(os.tmpdir(), `drover-cache-${uid}`), blobs, logger: this.#log, sessionId, ...(owner ? { group: owner.gid } : {}) });
    this.#services = new TaskServices({ workDir: o.workDir ?? join(os.tmpdir(), `drover-work-${uid}`), cache: this.#cache, blobs, logger: this.#log, sessionId, ...(owner ? { owner } : {}) });

    this.#pool = new WorkerPool({
      size: slots,
      agent: this.name,
      logger: this.#log,
      ...(o.workerExecArgv ? { execArgv: o.workerExecArgv } : {}),
      ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
      nice: o.workerNice ?? DEFAULT_WORKER_NICE,
      ...(o.maxTasksPerWorker !== undefined ? { maxTasksPerWorker: o.maxTasksPerWorker } : {}),
      ...(o.maxWorkerRssMb !== undefined ? { maxWorkerRssMb: o.maxWorkerRssMb } : {}),
      services: this.#services,
      handoffDir: this.#services.workDir,
      onSettled: (task, outcome, worker, durationMs) => this.#settled(task, outcome, worker, durationMs),
      onProgress: (task, value, worker) => {
        this.#progress.set(task.attemptId, { attemptId: task.attemptId, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength), worker });
        this.#queueFlush();
      },
    });
    const poolStarted = this.#pool.start();
    poolStarted.catch(() => {});
    let capacity: pb.Capacity;
    try {
      capacity = await probing;
      if (this.#stopping) throw new ConnectionError('the agent was stopped while starting');
    } catch (error) {
      await this.#pool.stop();
      await this.#services.close();
      client.close();
      throw error;
    }
    this.#capacity = capacity;
    this.#link = new CoordinatorLink({
      connect: o.connectStream ?? (() => client.connect()),
      address: o.coordinator,
      logger: this.#log,
      register: () => ({ name: this.name, capacity, version: VERSION, runningAttemptIds: this.#heldAttemptIds(), acksWithAssign: true }),
      onRegistered: (registered) => this.#onRegistered(registered),
      onMessage: (message) => this.#onMessage(message),
      onDisconnected: () => this.#onDisconnected(),
      onWritable: () => this.#queueFlush(),
    });

    const linked = this.#link.start(o.connectTimeoutMs ?? START_TIMEOUT_MS);
    linked.catch(() => {});
    try {
      await Promise.all([poolStarted, linked]);
    } catch (error) {
      clearInterval(this.#heartbeat);
      await this.#link.close();
      await this.#pool.stop();
      await this.#services.close();
      client.close();
      throw error;
    }
    const pool = this.#pool;
    const link = this.#link;
    this.#metrics.readFrom({
      slots: () => this.#slots,
      running: () => pool.running,
      queued: () => this.#held - pool.running,
      workersStarted: () => pool.workersStarted,
      connected: () => link.connected,
    });
    if (o.httpListen !== undefined) {
      const http = new AgentHttpSide(o.httpListen, this.#metrics, () => link.connected && !this.#draining, this.#log);
      try {
        await http.start();
      } catch (error) {
        await this.stop();
        throw error;
      }
      this.#http = http;
    }
    this.#log.info({ name: this.name, slots: capacity.slots, cpus: capacity.cpus, memoryMb: capacity.memoryMb, sumo: capacity.sumoVersion || null }, 'agent started');
  }

  /**
   * Stop. With `drain` (what SIGTERM does): take nothing new and hand back what has not started (the
   * coordinator re-queues what the session held when the stream ends), let running tasks finish, send
   * their results and wait up to 10 s for the coordinator to acknowledge them. Without: kill the workers
   * now (the coordinator re-queues what they ran). Either way every worker process has exited when this
   * resolves.
   */
  stop(options: { drain?: boolean } = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.drain ?? false);
    return this.#stopping;
  }

  async #stop(drain: boolean): Promise<void> {
    const link = this.#link;
    const pool = this.#pool;
    if (drain && pool && link) {
      this.#draining = true;
      this.#handingBack = true;
      // Not started yet: hand back rather than delay the exit by a whole task per slot. Credit granted
      // and not used cannot be taken back; what the coordinator still assigns is not run either.
      const handedBack = this.#dropNotStarted();
      this.#log.info({ running: this.#held, handedBack }, 'draining: finishing running tasks, taking nothing new');
      if (this.#held > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
      this.#flush();
      // The heartbeat keeps going meanwhile, so the session's lease holds while we wait.
      const ackMs = this.#options.drainAckTimeoutMs ?? DRAIN_ACK_MS;
      if (!(await this.#whenAllAcknowledged(ackMs))) {
        this.#log.warn(
          { results: this.#unacked.size, connected: link.connected },
          `drained, but the coordinator did not acknowledge every result within ${ackMs} ms: those tasks will run again elsewhere`,
        );
      }
    }
    clearInterval(this.#heartbeat);
    clearTimeout(this.#leaseTimer);
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    // Without drain the workers die first, so nothing more is sent; the coordinator re-queues their tasks.
    if (!drain) await pool?.stop();
    await link?.close();
    await pool?.stop();
    // Tasks killed with their workers: their process groups and scratch directories go too.
    await this.#services?.close();
    this.#client?.close();
    await this.#http?.stop();
    this.#log.info({ name: this.name }, 'agent stopped');
  }

  #onMessage(message: pb.CoordinatorMessage): void {
    const msg = message.msg;
    switch (msg?.$case) {
      case 'assign':
        // Acknowledgements ride here for agents that registered with `acks_with_assign`: as if sent just before.
        if (msg.value.acceptedAttemptIds.length > 0) this.#accepted(msg.value.acceptedAttemptIds);
        this.#assign(msg.value.tasks);
        return;
      case 'cancel':
        for (const id of msg.value.attemptIds) this.#cancel(id);
        return;
      case 'drain':
        if (!this.#draining) this.#log.info('coordinator asked to drain: taking no new tasks');
        this.#draining = true;
        return;
      case 'resultsAccepted':
        this.#accepted(msg.value.attemptIds);
        return;
    }
  }

  #onRegistered(registered: pb.Registered): void {
    this.#credit = 0;
    this.#creditWithResults = registered.creditWithResults;
    clearTimeout(this.#leaseTimer);
    this.#leaseTimer = undefined;
    // The coordinator's lease is three of its heartbeat intervals: beat at its interval, from now on.
    this.#heartbeatMs = registered.heartbeatMs > 0 ? Math.max(MIN_HEARTBEAT_MS, registered.heartbeatMs) : DEFAULT_HEARTBEAT_MS;
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => this.#sendHeartbeat(), this.#heartbeatMs);
    this.#heartbeat.unref();
    // Load first (it is tiny), then every result not acknowledged yet, then credit.
    this.#sendHeartbeat();
    this.#unsent = [...this.#unacked.values()];
    this.#unsentHead = 0;
    this.#flush();
  }

  /**
   * What `register.running_attempt_ids` lists: every attempt held here that will still report, running
   * or not started yet, plus those finished whose result the coordinator has not acknowledged (it is sent
   * again right after `registered`): the coordinator keeps them on the new session instead of re-queuing
   * them, and cancels those it no longer wants.
   */
  #heldAttemptIds(): string[] {
    const ids = this.#pool?.attemptIds() ?? [];
    for (const id of this.#fetching.keys()) ids.push(id);
    for (const id of this.#unacked.keys()) ids.push(id);
    return ids;
  }

  #accepted(attemptIds: string[]): void {
    const wasFull = this.#unackedBytes >= this.#maxUnackedBytes;
    for (const id of attemptIds) this.#forget(id);
    // Credit was held back while the buffer was full: grant it again.
    if (wasFull && this.#unackedBytes < this.#maxUnackedBytes) this.#queueFlush();
  }

  /** Drop a kept result (acknowledged, or its attempt cancelled); it is skipped if still unsent. */
  #forget(attemptId: string): void {
    const r = this.#unacked.get(attemptId);
    if (r === undefined) return;
    this.#unacked.delete(attemptId);
    this.#unackedBytes -= resultBytes(r);
    if (this.#unacked.size === 0 && this.#ackWaiters.length > 0) {
      for (const resolve of this.#ackWaiters.splice(0)) resolve();
    }
  }

  /** Resolves true once every result is acknowledged, or false after `timeoutMs`. */
  #whenAllAcknowledged(timeoutMs: number): Promise<boolean> {
    if (this.#unacked.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#ackWaiters = this.#ackWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#ackWaiters.push(done);
    });
  }

  #assign(assignments: pb.Assignment[]): void {
    const cache = this.#cache!;
    const pool = this.#pool!;
    this.#credit = Math.max(0, this.#credit - assignments.length);
    if (this.#handingBack) {
      // Stopping: not run, not reported; the coordinator re-queues them when this session ends.
      this.#log.debug({ tasks: assignments.length }, 'assigned while stopping: handed back');
      return;
    }
    this.#log.debug({ tasks: assignments.length }, 'assigned');
    // A batch is mostly one job's tasks: its bundle is looked up once per run of them.
    let lastJob = '';
    let lastDigest = '';
    let lastPath: string | undefined;
    for (const a of assignments) {
      // An attempt this agent already holds (or finished) is not run twice.
      if (this.#fetching.has(a.attemptId) || pool.has(a.attemptId) || this.#unacked.has(a.attemptId)) continue;
      this.#held++;
      const digest = a.function?.bundleDigest ?? '';
      if (a.jobId !== lastJob || digest !== lastDigest || lastPath === undefined) {
        cache.allowJobBundle(digest, a.jobId);
        lastJob = a.jobId;
        lastDigest = digest;
        lastPath = cache.pathIfReady(digest, 'bundle', a.jobId);
      }
      const path = lastPath;
      const task: PoolTask = {
        attemptId: a.attemptId,
        jobId: a.jobId,
        seq: a.seq,
        attempt: a.attempt,
        firstIndex: a.firstIndex,
        bundlePath: path ?? '',
        exportName: a.function?.exportName ?? '',
        payload: a.payload,
        slots: Math.max(1, a.slots),
        timeoutMs: a.timeoutMs,
        resultWaitMs: a.resultWaitMs,
      };
      if (path !== undefined) {
        pool.submit(task);
        continue;
      }
      this.#fetching.set(task.attemptId, task);
      cache.get(digest, 'bundle', a.jobId).then(
        (bundlePath) => {
          // Gone from the map: cancelled (or dropped on a disconnect) while the bundle was fetched.
          if (this.#fetching.get(task.attemptId) !== task) return;
          this.#fetching.delete(task.attemptId);
          task.bundlePath = bundlePath;
          pool.submit(task);
        },
        (error: Error) => {
          if (this.#fetching.get(task.attemptId) !== task) return;
          this.#fetching.delete(task.attemptId);
          // With the coordinator gone (likely why the fetch failed), the failure is not the task's: drop
          // it, unreported and unlisted at the next registration; the coordinator re-queues it.
          if (!this.#link!.connected) {
            this.#settled(task, undefined, '', 0);
            return;
          }
          const code = (error as Error & { code?: unknown }).code;
          const failure: pb.TaskFailure = {
            kind: 'internal',
            name: error.name,
            message: error.message,
            stack: '',
            itemOffset: 0,
            exitCode: 0,
            signal: '',
            stderrTail: '',
            retryable: false,
            code: typeof code === 'string' ? code : '',
          };
          this.#settled(task, { $case: 'failure', value: failure }, '', 0);
        },
      );
    }
  }

  #cancel(attemptId: string): void {
    // Finished already: the coordinator does not want the result, so it need not be kept any longer.
    this.#forget(attemptId);
    const task = this.#fetching.get(attemptId);
    if (task !== undefined) {
      this.#fetching.delete(attemptId);
      this.#settled(task, undefined, '', 0);
      return;
    }
    this.#pool!.cancel(attemptId);
  }

  /**
   * The session is gone. Everything held here keeps going, queued tasks included: a new session lists
   * them in `register.running_attempt_ids` and the coordinator keeps or cancels each, so a short outage
   * (a coordinator restart) throws away no prefetched work. Once the old session's lease has surely run
   * out (three heartbeat intervals) the coordinator has re-queued them, so what has not started by then
   * is dropped: it would only be cancelled, or run twice.
   */
  #onDisconnected(): void {
    this.#credit = 0;
    this.#progress.clear();
    clearTimeout(this.#leaseTimer);
    this.#leaseTimer = setTimeout(() => {
      this.#leaseTimer = undefined;
      if (this.#link?.connected) return;
      const dropped = this.#dropNotStarted();
      if (dropped > 0) this.#log.info({ dropped }, 'still disconnected after the lease ran out: dropped tasks not started');
    }, LEASE_INTERVALS * this.#heartbeatMs);
    this.#leaseTimer.unref();
  }

  /** Drop (unreported) every held task not started: waiting for its bundle, or queued in the pool. */
  #dropNotStarted(): number {
    const dropped = [...this.#fetching.values()];
    this.#fetching.clear();
    for (const task of dropped) this.#settled(task, undefined, '', 0);
    return dropped.length + this.#pool!.cancelQueued();
  }

  /** A task ended; `outcome` undefined means cancelled: report nothing, but free its place. */
  #settled(task: PoolTask, outcome: PoolOutcome | undefined, worker: string, durationMs: number): void {
    this.#held--;
    this.#metrics.taskSettled(outcome);
    if (outcome?.$case === 'failure' && this.#log.isLevelEnabled('debug')) {
      this.#log.debug({ jobId: task.jobId, attemptId: task.attemptId, seq: task.seq, worker, kind: outcome.value.kind }, 'task failed');
    }
    // A finished task's last progress still goes out (just before its result); a cancelled one's does not.
    if (outcome === undefined) {
      this.#progress.delete(task.attemptId);
    } else {
      // A result no message could carry would fail every send (and every reconnect): fail the task instead.
      if (outcome.$case === 'value' && outcome.value.length > MAX_RESULT_WIRE_BYTES) outcome = resultTooLarge(outcome.value.length);
      const r: pb.AttemptResult = { attemptId: task.attemptId, outcome, worker, durationMs };
      const old = this.#unacked.get(r.attemptId);
      if (old !== undefined) this.#unackedBytes -= resultBytes(old);
      this.#unacked.set(r.attemptId, r);
      this.#unackedBytes += resultBytes(r);
      this.#unsent.push(r);
    }
    // A value the coordinator would hold anyway waits for the results of the tasks queued behind it
    // (bounded by the task's wait); anything else (a failure, a cancellation's credit, the last task
    // queued here) goes out at once, and takes what waits along.
    const wait = task.resultWaitMs ?? 0;
    if (outcome?.$case === 'value' && wait > 0 && this.#pool!.queued > 0) this.#queueHeldFlush(wait);
    else this.#queueFlush();
    if (this.#held === 0 && this.#idleWaiters.length > 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  /** Everything that became ready in this event-loop turn goes out together, once. */
  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    setImmediate(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  /** Flush within `waitMs`, unless something flushes sooner. */
  #queueHeldFlush(waitMs: number): void {
    if (this.#flushQueued || this.#holdTimer !== undefined) return;
    this.#holdTimer = setTimeout(this.#holdFired, waitMs);
  }

  readonly #holdFired = (): void => {
    this.#holdTimer = undefined;
    this.#flush();
  };

  #flush(): void {
    if (this.#holdTimer !== undefined) {
      clearTimeout(this.#holdTimer);
      this.#holdTimer = undefined;
    }
    const link = this.#link!;
    // Results wait for the next session when there is none now (all unacknowledged ones are sent then).
    if (!link.connected) return;
    // Progress first: a task's last progress value must not arrive after its result.
    if (this.#progress.size > 0) {
      link.send({ msg: { $case: 'progress', value: { progress: [...this.#progress.values()] } } });
      this.#progress.clear();
    }
    // Results are kept in memory until acknowledged. Past the bound (a coordinator that is slow to make
    // them durable, or one that is gone for long), take no more work rather than let memory grow until
    // the agent itself dies and loses every one of them; acknowledgements open the tap again. Tasks held
    // already still finish, so the bound is passed by at most their results.
    const full = this.#unackedBytes >= this.#maxUnackedBytes;
    const target = this.#target();
    // Holding more than a task per worker beyond the target, and over a second of work per worker by the
    // running average (the prefetch shrank: a job's tasks turned out long after credit was granted for
    // tiny ones): hand the surplus that waits here back, so that other agents run it instead of it
    // queueing behind these workers. The second keeps a stray slow task amid tiny ones from doing so.
    const surplus = this.#held - target;
    const avg = this.#pool!.averageTaskMs ?? 0;
    if (!this.#draining && surplus > this.#slots && (this.#held / this.#slots) * avg > HAND_BACK_AFTER_MS) {
      const attemptIds = this.#pool!.takeBack(surplus);
      if (attemptIds.length > 0) {
        link.send({ msg: { $case: 'returned', value: { attemptIds } } });
        this.#log.debug({ returned: attemptIds.length, held: this.#held, target }, 'handed back tasks not started');
      }
    }
    const want = this.#draining || full ? 0 : Math.max(0, target - this.#held - this.#credit);
    this.#credit += want;
    // Credit rides in the last results message when the coordinator takes it there: one message less per turn.
    let credit = want;
    if (this.#unsentHead < this.#unsent.length) {
      const left = this.#sendResults(link, this.#creditWithResults ? credit : 0);
      if (this.#creditWithResults) credit = left;
    }
    if (credit > 0) link.send({ msg: { $case: 'credit', value: { tasks: credit } } });
  }

  /**
   * Send unsent results in messages of about {@link RESULTS_MESSAGE_BYTES}, stopping while the stream is
   * congested (continued on `onWritable`): re-sending a large backlog on a new session then never queues
   * a heartbeat behind it, nor holds the event loop for long.
   */
  #sendResults(link: CoordinatorLink, credit: number): number {
    const list = this.#unsent;
    let i = this.#unsentHead;
    let sent = 0;
    while (i < list.length && !link.congested) {
      const batch: pb.AttemptResult[] = [];
      let bytes = 0;
      for (; i < list.length && bytes < RESULTS_MESSAGE_BYTES; i++) {
        const r = list[i];
        // Acknowledged (or cancelled) since it was queued for sending: not again.
        if (this.#unacked.get(r.attemptId) !== r) continue;
        batch.push(r);
        bytes += resultBytes(r);
      }
      if (batch.length > 0) {
        const last = i >= list.length;
        link.send({ msg: { $case: 'results', value: { results: batch, credit: last ? credit : 0 } } });
        if (last) credit = 0;
        sent += batch.length;
      }
    }
    if (i >= list.length) {
      this.#unsent = [];
      this.#unsentHead = 0;
    } else if (i > 1024 && i * 2 > list.length) {
      this.#unsent = list.slice(i);
      this.#unsentHead = 0;
    } else {
      this.#unsentHead = i;
    }
    if (sent > 0) this.#log.debug({ results: sent, unsent: this.#unsent.length - this.#unsentHead }, 'results sent');
    return credit;
  }

  /**
   * Tasks held here (waiting for a bundle, queued or running) plus credit not yet used never exceed this:
   * the slots plus `prefetch`. Unless `prefetch` was set, it starts at one task per slot and grows while
   * tasks are tiny, to about {@link PREFETCH_MS} of work per worker: a credit round trip through the
   * coordinator then never leaves a worker idle, and assignments arrive in bigger batches.
   */
  #target(): number {
    const fixed = this.#options.prefetch;
    if (fixed !== undefined) return this.#slots + Math.max(0, Math.floor(fixed));
    const avg = this.#pool!.averageTaskMs;
    const perSlot = avg === undefined ? 1 : Math.min(MAX_PREFETCH_PER_SLOT, Math.max(1, Math.ceil(PREFETCH_MS / Math.max(avg, 0.001))));
    return this.#slots * (1 + perSlot);
  }

  #sendHeartbeat(): void {
    const pool = this.#pool!;
    this.#link!.send({ msg: { $case: 'heartbeat', value: { running: pool.running, queued: pool.queued + this.#fetching.size } } });
  }
}

/** Roughly how many bytes a result adds to a message. */
function resultBytes(r: pb.AttemptResult): number {
  const o = r.outcome;
  if (o?.$case === 'value') return o.value.length + 64;
  const f = o?.value;
  return 128 + (f ? f.message.length + f.stack.length + f.stderrTail.length : 0);
}

/** Largest result value sent: half a message, leaving room for the rest of the batch. */
const MAX_RESULT_WIRE_BYTES = MAX_MESSAGE_BYTES / 2;

/** The failure that replaces a result too big for the wire (the coordinator's own limit may be lower). */
function resultTooLarge(size: number): PoolOutcome {
  return {
    $case: 'failure',
    value: {
      kind: 'error', name: 'ResultTooLargeError', code: 'DROVER_RESULT_TOO_LARGE',
      message: `the task's result is ${size} bytes, over the ${MAX_RESULT_WIRE_BYTES} bytes a result can be on the wire; return less, or store big outputs with context.storeFile and return their digest`,
      stack: '', itemOffset: 0, exitCode: 0, signal: '', stderrTail: '', retryable: false,
    },
  };
}
