/**
 * drover's SDK: Python's `multiprocessing.Pool` verbs over a cluster.
 *
 * @example
 * // tasks.ts
 * export function countPrimes([lo, hi]: [number, number]): number { ... }
 *
 * // main.ts
 * import { connect } from 'drover';
 * await using pool = await connect();              // embedded local cluster, or DROVER_ADDRESS
 * const tasks = await pool.load<typeof import('./tasks.ts')>(new URL('./tasks.ts', import.meta.url));
 * const counts = await pool.map(tasks.countPrimes, ranges, { chunksize: 4 });
 * for await (const n of pool.imapUnordered(tasks.countPrimes, ranges)) console.log(n);
 *
 * @module
 */
export { connect, type ConnectOptions } from './connect.ts';
export { Pool, type TaskFunction, type TaskResultOf } from './Pool.ts';
export { AsyncResult } from './AsyncResult.ts';
export { MapJob } from './MapJob.ts';
export type { ResultStream } from './ResultStream.ts';
export type { Inputs } from './JobStream.ts';
export type { TaskOptions, Requirements, ProgressEvent } from './TaskOptions.ts';
export type { CommandSpec } from './CommandSpec.ts';
export type { CommandResult } from './builtin/CommandSpec.ts';
export type { BlobRef } from './BlobUploader.ts';
export { SumoRunner, sweepCombinations, type SumoRunOptions, type SumoSweepOptions, type SumoScenarioOptions, type SumoRunResult } from './sumo/SumoRunner.ts';
export { summarizeSweep, MAIN_STATISTICS, type MetricSummary, type SweepGroupSummary } from './sumo/summarizeSweep.ts';
export type { SumoStatistics } from '../sumo/index.ts';
export {
  DroverError,
  TaskError,
  TimeoutError,
  PoolClosedError,
  CancelledError,
  ConnectionError,
  BundleError,
  BlobError,
  CodecError,
  UsageError,
  type TaskFailureKind,
  type ClientTls,
} from '../protocol/index.ts';
