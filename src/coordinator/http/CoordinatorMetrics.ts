import { Counter, Gauge, Registry } from 'prom-client';
import { collectProcessMetrics } from '../../protocol/metrics/index.ts';
import type { pb } from '../../protocol/index.ts';
import type { TaskMetrics } from '../TaskMetrics.ts';
import type { TaskRecord } from '../TaskRecord.ts';
import { LatencyHistogram } from './LatencyHistogram.ts';
import { requirementClass } from './requirementClass.ts';

/** What the coordinator's gauges read when scraped: the scheduler. */
export interface CoordinatorMetricsSource {
  stats(): pb.StatsResponse;
  listAgents(): pb.AgentInfo[];
}

/**
 * The failure kinds drover reports (`TaskFailure.kind` in proto/drover/v1/common.proto); any other
 * kind an agent sends is counted as `other`, so that agents cannot grow the label set without bound.
 */
const FAILURE_KINDS: ReadonlySet<string> = new Set(['error', 'crashed', 'timeout', 'oom', 'cancelled', 'lost', 'unschedulable', 'internal', 'unknown']);

/** Queue wait and run time bounds, seconds: tiny tasks (ms) to SUMO runs (tens of minutes). */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

/**
 * The coordinator's Prometheus metrics (served on `/metrics` by the HTTP side).
 *
 * Gauges (agents, slots, queue depth per job and per requirement class, running tasks) are read
 * from the scheduler when scraped, so they cost nothing in between. Per-task figures — results,
 * failures by kind, queue-wait and run-time histograms — are plain number increments made by
 * {@link taskFinished}, which the scheduler calls once per final result without allocating.
 *
 * `drover_tasks_queued` is the figure to autoscale agents on (KEDA / HPA).
 */
export class CoordinatorMetrics implements TaskMetrics {
  /** The registry to expose (default process metrics included). */
  readonly registry = new Registry();
  #source: CoordinatorMetricsSource | undefined;
  #results = 0;
  readonly #failures = new Map<string, number>();
  readonly #queueWait: LatencyHistogram;
  readonly #runTime: LatencyHistogram;

  constructor() {
    const registry = this.registry;
    collectProcessMetrics(registry);
    const stats = (): pb.StatsResponse | undefined => this.#source?.stats();
    const gauge = (name: string, help: string, read: (s: pb.StatsResponse) => number) =>
      new Gauge({ name, help, registers: [registry], collect() { const s = stats(); this.set(s ? read(s) : 0); } });
    gauge('drover_agents', 'Agent sessions connected.', (s) => s.agents);
    gauge('drover_slots', 'Worker slots offered by connected agents.', (s) => s.slots);
    gauge('drover_tasks_queued', 'Tasks waiting for an agent (scale agents on this).', (s) => s.tasksQueued);
    gauge('drover_tasks_running', 'Tasks assigned to agents and not finished.', (s) => s.tasksRunning);
    gauge('drover_jobs_open', 'Jobs not finished.', (s) => s.jobsOpen);
    const agents = (): pb.AgentInfo[] => this.#source?.listAgents() ?? [];
    new Gauge({
      name: 'drover_slots_free',
      help: 'Worker slots of connected agents not taken by a task.',
      registers: [registry],
      collect() {
        let free = 0;
        for (const agent of agents()) free += agent.slotsFree;
        this.set(free);
      },
    });
    new Gauge({
      name: 'drover_job_tasks_queued',
      help: 'Tasks waiting for an agent, per open job.',
      labelNames: ['job', 'name'],
      registers: [registry],
      collect() {
        this.reset();
        for (const job of stats()?.jobs ?? []) {
          if (job.state === 'open') this.set({ job: job.jobId, name: job.name }, job.tasksQueued);
        }
      },
    });
    new Gauge({
      name: 'drover_job_tasks_running',
      help: 'Tasks running on agents, per open job.',
      labelNames: ['job', 'name'],
      registers: [registry],
      collect() {
        this.reset();
        for (const job of stats()?.jobs ?? []) {
          if (job.state === 'open') this.set({ job: job.jobId, name: job.name }, job.tasksRunning);
        }
      },
    });
    new Gauge({
      name: 'drover_requirement_tasks_queued',
      help: 'Tasks waiting for an agent, per requirement class (what a task needs: cpus, memory, sumo, labels, resources; "any" for none). Scale the matching agent pool on it.',
      labelNames: ['requires'],
      registers: [registry],
      collect() {
        this.reset();
        const depth = new Map<string, number>();
        for (const job of stats()?.jobs ?? []) {
          if (job.state !== 'open') continue;
          const key = requirementClass(job.requires);
          depth.set(key, (depth.get(key) ?? 0) + job.tasksQueued);
        }
        for (const [requires, queued] of depth) this.set({ requires }, queued);
      },
    });
    const metrics = this;
    new Counter({
      name: 'drover_tasks_completed_total',
      help: 'Final task results (success or failure) since the coordinator started; rate() gives results per second.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(metrics.#results);
      },
    });
    new Counter({
      name: 'drover_task_failures_total',
      help: 'Final task failures by kind (error, crashed, timeout, lost, unschedulable, ...) since the coordinator started.',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [kind, count] of metrics.#failures) this.inc({ kind }, count);
      },
    });
    this.#queueWait = new LatencyHistogram({
      name: 'drover_task_queue_wait_seconds',
      help: 'How long a task waited in its job\'s queue before its final attempt was assigned.',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    this.#runTime = new LatencyHistogram({
      name: 'drover_task_run_seconds',
      help: 'From assignment of a task\'s final attempt to its result reaching the coordinator.',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
  }

  /** Gauges read from `source` from now on (until then they read 0). */
  readFrom(source: CoordinatorMetricsSource): void {
    this.#source = source;
  }

  /** See {@link TaskMetrics.taskFinished}: number increments only. */
  taskFinished(record: TaskRecord, failureKind: string): void {
    this.#results += 1;
    if (failureKind !== '') {
      const kind = FAILURE_KINDS.has(failureKind) ? failureKind : 'other';
      this.#failures.set(kind, (this.#failures.get(kind) ?? 0) + 1);
    }
    // Tasks that never ran (unschedulable) have no run time; restored ones count from the restore.
    if (record.startedAtMs > 0) {
      this.#queueWait.record((record.startedAtMs - record.queuedAtMs) / 1000);
      this.#runTime.record((performance.now() - record.startedAtMs) / 1000);
    }
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
