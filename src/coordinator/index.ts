/**
 * The drover coordinator: a gRPC server that takes jobs from clients, schedules their tasks onto
 * agents (fair share across jobs, requirement matching, batched assignment within each agent's
 * credit), retries infrastructure failures, fences stale attempts, streams results back, and serves
 * content-addressed blobs. See docs/protocol.md for the wire semantics.
 *
 * @example
 * import { Coordinator } from './src/coordinator/index.ts';
 *
 * const coordinator = new Coordinator({ listen: '127.0.0.1:0' });
 * await coordinator.start();
 * console.log(`agents and clients connect to ${coordinator.address}`);
 * process.once('SIGINT', () => void coordinator.stop());
 *
 * @module
 */
export { Coordinator, type CoordinatorOptions } from './Coordinator.ts';
