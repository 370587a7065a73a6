import { Counter, Gauge, Registry } from 'prom-client';
import { collectProcessMetrics } from '../../protocol/metrics/index.ts';
import type { pb } from '../../protocol/index.ts';

/** What the agent's gauges read when scraped. */
export interface AgentMetricsSource {
  /** Worker slots (processes). */
  slots(): number;
  /** Tasks running in a worker now. */
  running(): number;
  /** Tasks held and not running (waiting for a worker or their bundle). */
  queued(): number;
  /** Worker processes started since the agent started (the first one per slot included). */
  workersStarted(): number;
  /** Registered with the coordinator right now. */
  connected(): boolean;
}

/**
 * An agent's Prometheus metrics (`drover agent --http HOST:PORT` serves them on `/metrics`): tasks
 * running and queued, slots, tasks completed and failed by kind, worker restarts, connection state,
 * plus process metrics. Gauges are read when scraped; {@link taskSettled} only increments numbers.
 */
export class AgentMetrics {
  /** The registry to expose. */
  readonly registry = new Registry();
  #source: AgentMetricsSource | undefined;
  #completed = 0;
  #cancelled = 0;
  readonly #failures = new Map<string, number>();

  constructor() {
    const registry = this.registry;
    collectProcessMetrics(registry);
    const read = (f: (s: AgentMetricsSource) => number) => (this.#source ? f(this.#source) : 0);
    const gauge = (name: string, help: string, f: (s: AgentMetricsSource) => number) =>
      new Gauge({ name, help, registers: [registry], collect() { this.set(read(f)); } });
    gauge('drover_agent_slots', 'Worker slots (processes) this agent offers.', (s) => s.slots());
    gauge('drover_agent_tasks_running', 'Tasks running in a worker now.', (s) => s.running());
    gauge('drover_agent_tasks_queued', 'Tasks held by the agent and not running yet.', (s) => s.queued());
    gauge('drover_agent_slots_free', 'Worker slots not running a task.', (s) => Math.max(0, s.slots() - s.running()));
    gauge('drover_agent_connected', '1 while registered with the coordinator, else 0.', (s) => (s.connected() ? 1 : 0));
    gauge('drover_agent_worker_restarts', 'Worker processes started to replace one that exited (crash, timeout, recycling).', (s) => Math.max(0, s.workersStarted() - s.slots()));
    const metrics = this;
    new Counter({
      name: 'drover_agent_tasks_completed_total',
      help: 'Tasks that finished here with a result (success or failure).',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(metrics.#completed);
      },
    });
    new Counter({
      name: 'drover_agent_tasks_failed_total',
      help: 'Tasks that finished here with a failure, by kind (error, crashed, oom, timeout, ...).',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [kind, n] of metrics.#failures) this.inc({ kind }, n);
      },
    });
    new Counter({
      name: 'drover_agent_tasks_cancelled_total',
      help: 'Tasks stopped before they finished (job cancelled, handed back on drain).',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(metrics.#cancelled);
      },
    });
  }

  /** Gauges read from `source` from now on (until then they read 0). */
  readFrom(source: AgentMetricsSource): void {
    this.#source = source;
  }

  /** A task ended here: with a result, or (undefined) cancelled. Number increments only. */
  taskSettled(outcome: pb.AttemptResult['outcome']): void {
    if (outcome === undefined) {
      this.#cancelled += 1;
      return;
    }
    this.#completed += 1;
    if (outcome.$case === 'failure') {
      const kind = outcome.value.kind || 'unknown';
      this.#failures.set(kind, (this.#failures.get(kind) ?? 0) + 1);
    }
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
