import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { clientChannelOptions, ConnectionError, createLogger, pb, type Logger } from '../protocol/index.ts';
import type { AgentOptions } from './AgentOptions.ts';
import { BundleCache } from './BundleCache.ts';
import { CoordinatorLink } from './CoordinatorLink.ts';
import { probeCapacity } from './probeCapacity.ts';
import { WorkerPool, type PoolOutcome, type PoolTask } from './WorkerPool.ts';

/** Largest message either side accepts. */
/** A results message is cut once its payload passes this, keeping messages small and latency low. */
const RESULTS_MESSAGE_BYTES = 1024 * 1024;
const HEARTBEAT_MS = 5000;
/** Work (by the running average task duration) the default prefetch aims to keep queued per worker. */
const PREFETCH_MS = 2;
/** The default prefetch never exceeds this many tasks per worker. */
const MAX_PREFETCH_PER_SLOT = 32;
/** By default `start()` gives up reaching the coordinator after this. */
const START_TIMEOUT_MS = 10_000;
/** A draining stop waits this long for a lost connection to come back before dropping unsent results. */
const DRAIN_RECONNECT_MS = 10_000;

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * An agent: announces this machine's capacity to a coordinator, takes the tasks it is assigned (up to
 * the credit it granted), runs them in a pool of worker processes and streams the results back. It
 * reconnects on its own when the coordinator goes away; tasks keep running meanwhile.
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
  #cache: BundleCache | undefined;
  #link: CoordinatorLink | undefined;
  #client: pb.AgentsClient | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;

  /** Worker processes. */
  #slots = 0;
  /** Tasks taken and not finished. */
  #held = 0;
  /** Credit granted in the current session and not yet consumed by assignments. */
  #credit = 0;
  #draining = false;
  /** Tasks waiting for their bundle, by attempt id. */
  readonly #fetching = new Map<string, PoolTask>();
  #results: pb.AttemptResult[] = [];
  /** Latest progress per attempt since the last flush. */
  #progress = new Map<string, pb.AttemptProgress>();
  #flushQueued = false;
  #idleWaiters: (() => void)[] = [];

  constructor(options: AgentOptions) {
    this.#options = options;
    this.name = options.name ?? `${os.hostname()}-${process.pid}`;
    this.#log = options.logger ?? createLogger({ name: 'agent' });
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
    const capacity = await probeCapacity({
      ...(o.processes !== undefined ? { processes: o.processes } : {}),
      ...(o.labels ? { labels: o.labels } : {}),
      ...(o.resources ? { resources: o.resources } : {}),
    });
    if (this.#stopping) throw new ConnectionError('the agent was stopped while starting');
    this.#capacity = capacity;
    this.#slots = capacity.slots;

    const credentials = grpc.credentials.createInsecure();
    const channelOptions = clientChannelOptions(o.token);
    const client = new pb.AgentsClient(o.coordinator, credentials, channelOptions);
    this.#client = client;
    const blobs = new pb.BlobsClient(o.coordinator, credentials, { ...channelOptions, channelOverride: client.getChannel() });
    const uid = process.getuid?.() ?? os.userInfo().username;
    this.#cache = new BundleCache({ dir: o.cacheDir ?? join(os.tmpdir(), `drover-bundles-${uid}`), blobs, logger: this.#log });

    this.#pool = new WorkerPool({
      size: capacity.slots,
      agent: this.name,
      logger: this.#log,
      ...(o.workerExecArgv ? { execArgv: o.workerExecArgv } : {}),
      onSettled: (task, outcome, worker, durationMs) => this.#settled(task, outcome, worker, durationMs),
      onProgress: (task, value, worker) => {
        this.#progress.set(task.attemptId, { attemptId: task.attemptId, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength), worker });
        this.#queueFlush();
      },
    });
    this.#link = new CoordinatorLink({
      client,
      address: o.coordinator,
      logger: this.#log,
      register: () => ({ name: this.name, capacity, version: VERSION }),
      onRegistered: () => {
        this.#credit = 0;
        this.#flush();
        // Tell the new session at once what still runs here from the previous one.
        this.#sendHeartbeat();
      },
      onMessage: (message) => this.#onMessage(message),
      onDisconnected: () => this.#onDisconnected(),
    });

    const linked = this.#link.start(o.connectTimeoutMs ?? START_TIMEOUT_MS);
    linked.catch(() => {});
    try {
      await Promise.all([this.#pool.start(), linked]);
    } catch (error) {
      await this.#link.close();
      await this.#pool.stop();
      client.close();
      throw error;
    }
    this.#heartbeat = setInterval(() => this.#sendHeartbeat(), HEARTBEAT_MS);
    this.#heartbeat.unref();
    this.#log.info({ name: this.name, slots: capacity.slots, cpus: capacity.cpus, memoryMb: capacity.memoryMb, sumo: capacity.sumoVersion || null }, 'agent started');
  }

  /**
   * Stop. With `drain`, take nothing new, let running and queued tasks finish and send their results
   * first; without, kill the workers now (the coordinator re-queues what they ran). Either way every
   * worker process has exited when this resolves.
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
      this.#log.info({ held: this.#held }, 'draining: finishing held tasks');
      if (this.#held > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
      if (this.#results.length > 0 && !link.connected && (await link.whenConnected(DRAIN_RECONNECT_MS)) === false) {
        this.#log.warn({ results: this.#results.length }, 'drained, but the coordinator is unreachable: results not delivered');
      }
      this.#flush();
    }
    clearInterval(this.#heartbeat);
    // Without drain the workers die first, so nothing more is sent; the coordinator re-queues their tasks.
    if (!drain) await pool?.stop();
    await link?.close();
    await pool?.stop();
    this.#client?.close();
    this.#log.info({ name: this.name }, 'agent stopped');
  }

  #onMessage(message: pb.CoordinatorMessage): void {
    const msg = message.msg;
    switch (msg?.$case) {
      case 'assign':
        this.#assign(msg.value.tasks);
        return;
      case 'cancel':
        for (const id of msg.value.attemptIds) this.#cancel(id);
        return;
      case 'drain':
        if (!this.#draining) this.#log.info('coordinator asked to drain: taking no new tasks');
        this.#draining = true;
        return;
    }
  }

  #assign(assignments: pb.Assignment[]): void {
    const cache = this.#cache!;
    const pool = this.#pool!;
    this.#credit = Math.max(0, this.#credit - assignments.length);
    this.#held += assignments.length;
    this.#log.debug({ tasks: assignments.length }, 'assigned');
    for (const a of assignments) {
      const digest = a.function?.bundleDigest ?? '';
      const path = cache.pathIfReady(digest);
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
      };
      if (path !== undefined) {
        pool.submit(task);
        continue;
      }
      this.#fetching.set(task.attemptId, task);
      cache.get(digest).then(
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
          const failure: pb.TaskFailure = { kind: 'internal', name: error.name, message: error.message, stack: '', itemOffset: 0, exitCode: 0, signal: '', stderrTail: '' };
          this.#settled(task, { $case: 'failure', value: failure }, '', 0);
        },
      );
    }
  }

  #cancel(attemptId: string): void {
    const task = this.#fetching.get(attemptId);
    if (task !== undefined) {
      this.#fetching.delete(attemptId);
      this.#settled(task, undefined, '', 0);
      return;
    }
    this.#pool!.cancel(attemptId);
  }

  /** The coordinator re-queues everything it had assigned to the lost session: drop what has not started. */
  #onDisconnected(): void {
    this.#credit = 0;
    this.#progress.clear();
    const dropped = [...this.#fetching.values()];
    this.#fetching.clear();
    for (const task of dropped) this.#settled(task, undefined, '', 0);
    this.#pool!.cancelQueued();
  }

  /** A task ended; `outcome` undefined means cancelled: report nothing, but free its place. */
  #settled(task: PoolTask, outcome: PoolOutcome | undefined, worker: string, durationMs: number): void {
    this.#held--;
    // A finished task's last progress still goes out (just before its result); a cancelled one's does not.
    if (outcome === undefined) this.#progress.delete(task.attemptId);
    else this.#results.push({ attemptId: task.attemptId, outcome, worker, durationMs });
    this.#queueFlush();
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

  #flush(): void {
    const link = this.#link!;
    // Results wait for the next session when there is none now; the coordinator fences stale ones.
    if (!link.connected) return;
    // Progress first: a task's last progress value must not arrive after its result.
    if (this.#progress.size > 0) {
      link.send({ msg: { $case: 'progress', value: { progress: [...this.#progress.values()] } } });
      this.#progress.clear();
    }
    if (this.#results.length > 0) {
      const results = this.#results;
      this.#results = [];
      let from = 0;
      let bytes = 0;
      for (let i = from; i < results.length; i++) {
        bytes += resultBytes(results[i]);
        if (bytes >= RESULTS_MESSAGE_BYTES || i === results.length - 1) {
          const batch = from === 0 && i === results.length - 1 ? results : results.slice(from, i + 1);
          link.send({ msg: { $case: 'results', value: { results: batch } } });
          from = i + 1;
          bytes = 0;
        }
      }
      this.#log.debug({ results: results.length }, 'results sent');
    }
    const want = this.#draining ? 0 : this.#target() - this.#held - this.#credit;
    if (want > 0) {
      this.#credit += want;
      link.send({ msg: { $case: 'credit', value: { tasks: want } } });
    }
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
