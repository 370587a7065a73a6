/**
 * What the coordinator's and the agent's Prometheus registries share: the process metrics (CPU, memory,
 * event-loop lag) with a sampling rate fit for a process that runs for days. Apart from the rest of
 * `protocol/` for the same reason as `logging/`: an SDK process does not load prom-client.
 *
 * @example
 * import { Registry } from 'prom-client';
 * import { collectProcessMetrics } from '../protocol/metrics/index.ts';
 * const registry = new Registry();
 * collectProcessMetrics(registry);
 * console.log(await registry.metrics());
 *
 * @module
 */
export { collectProcessMetrics } from './collectProcessMetrics.ts';
