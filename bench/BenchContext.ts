// What every workload gets: the run's sizes, a shared `drover local` (P1–P4, P8) and whether Dask runs.
import type { Pool } from '../src/sdk/index.ts';
import type { BenchConfig } from './BenchConfig.ts';
import type { DroverProcess } from './startDrover.ts';

export interface BenchContext {
  config: BenchConfig;
  pool: Pool;
  tasks: typeof import('./tasks.ts');
  local: DroverProcess;
  /** Why Dask is skipped, or undefined when it runs. */
  daskSkipped: string | undefined;
}
