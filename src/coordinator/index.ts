/**
 * The drover coordinator: a gRPC server that takes jobs from clients, schedules their tasks onto
 * agents (fair share across jobs, requirement matching, batched assignment within each agent's
 * credit), fails tasks no connected agent could ever run (kind `unschedulable`, after the job's
 * `unschedulable_wait_ms`) instead of letting them hang, retries infrastructure failures and those an
 * agent marks retryable, fences stale attempts, streams results back, and serves
 * content-addressed blobs. Jobs, tasks, attempts, results and blobs are committed to an embedded
 * SQLite database (group commit) before anything is acknowledged, so a coordinator restarted on the
 * same data directory resumes every job and clients re-attach where their stream broke. It also
 * serves `grpc.health.v1`, server reflection and, on its HTTP side, Prometheus metrics
 * (`CoordinatorMetrics`). See docs/protocol.md for the wire semantics and docs/cli.md for the metrics.
 *
 * @example
 * import { Coordinator } from './src/coordinator/index.ts';
 *
 * const coordinator = new Coordinator({ listen: '127.0.0.1:0', dataDir: './drover-data' });
 * await coordinator.start();
 * console.log(`agents and clients connect to ${coordinator.address}`);
 * process.once('SIGTERM', () => void coordinator.stop());
 *
 * @module
 */
export { Coordinator, type CoordinatorOptions } from './Coordinator.ts';
export type { ServerTls } from './auth/ServerTls.ts';
export type { TokenSpec } from './auth/TokenSpec.ts';
export type { Role } from './auth/Role.ts';
export { AuthConfigError } from './auth/AuthConfigError.ts';
export type { CoordinatorMetrics } from './http/CoordinatorMetrics.ts';
export { DEFAULT_LIMITS, LIMIT_DESCRIPTIONS, limitFlag, type Limits } from './limits/index.ts';
