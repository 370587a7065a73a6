// Sizes and repetitions for one run, scaled by BENCH_SCALE (1 = the documented defaults).
import { cpus } from 'node:os';

export interface BenchConfig {
  scale: number;
  /** Worker processes for drover and for each peer (mp.Pool size, Dask workers). */
  processes: number;
  /** Timed repetitions per figure (after one warm-up); the report gives their median. */
  reps: number;
}

export function benchConfig(): BenchConfig {
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  if (!(scale > 0)) throw new Error(`BENCH_SCALE must be a positive number, got ${process.env.BENCH_SCALE}`);
  return {
    scale,
    processes: Number(process.env.BENCH_PROCESSES ?? Math.max(1, cpus().length)),
    reps: Number(process.env.BENCH_REPS ?? 5),
  };
}

/** `n × scale`, at least `min`. */
export function scaled(n: number, config: BenchConfig, min = 1): number {
  return Math.max(min, Math.round(n * config.scale));
}
