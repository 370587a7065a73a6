import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * How often, in ms, the event-loop-lag metrics sample the loop. prom-client's default, 10 ms, keeps a
 * timer waking the process 100 times a second for as long as it runs, whether anyone scrapes or not:
 * an idle `drover local` was scheduled ~100 times a second and used ~8 ms of CPU a second, against ~23
 * and ~2 ms at 100 ms (test/integration/cli/idleWakeups.test.ts). Stalls worth alerting on last longer
 * than that, and a scrape every 15 s still gets ~150 samples.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * Registers Node's process metrics (CPU, memory, handles, GC, event-loop lag) on `registry`, as the
 * coordinator's and the agent's `/metrics` serve them.
 */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
}
