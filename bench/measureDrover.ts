// drover's side of P1–P3, shared by the full harness (run.ts) and the CI guard (guard.ts).
import type { Pool } from '../src/sdk/index.ts';

type Tasks = typeof import('./tasks.ts');

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** items/s of `map(noop)` over n items, and of its first full-size run (`cold`). */
export interface NoopRates {
  /** The first run over all n items, right after the small warm-up (the first of `warmUps`, else of `rates`). */
  cold: number;
  /** The timed runs, after `warmUps` more full-size runs. */
  rates: number[];
}

/**
 * One timed `map(noop)` over n items (with `chunksize`, else the default chunking), in items/s; the first
 * call does a small untimed map before (bundle upload, worker import).
 */
export function noopMapRunner(pool: Pool, tasks: Tasks, n: number, chunksize?: number): () => Promise<number> {
  const options = chunksize ? { chunksize } : {};
  const xs = range(n);
  let warmed = false;
  return async () => {
    if (!warmed) {
      warmed = true;
      await pool.map(tasks.noop, range(Math.min(n, 2000)), options);
    }
    const t0 = performance.now();
    const out = await pool.map(tasks.noop, xs, options);
    const s = (performance.now() - t0) / 1000;
    if (out.length !== n) throw new Error(`map returned ${out.length} results for ${n} items`);
    return n / s;
  };
}

/** A small warm-up (bundle upload, worker import), `warmUps` full-size runs, then `reps` timed runs. */
export async function noopRates(pool: Pool, tasks: Tasks, n: number, reps: number, chunksize?: number, warmUps = 0): Promise<NoopRates> {
  const run = noopMapRunner(pool, tasks, n, chunksize);
  const warm: number[] = [];
  for (let w = 0; w < warmUps; w++) warm.push(await run());
  const rates: number[] = [];
  for (let r = 0; r < reps; r++) rates.push(await run());
  return { cold: warm[0] ?? rates[0]!, rates };
}

/**
 * Milliseconds of each sequential `apply` round trip, one array per round: `warmUpCalls` untimed
 * calls, then `rounds` rounds of `calls`.
 */
export async function applyRoundTrips(pool: Pool, tasks: Tasks, calls: number, rounds = 1, warmUpCalls = 20): Promise<number[][]> {
  for (let i = 0; i < warmUpCalls; i++) await pool.apply(tasks.noop, i);
  const out: number[][] = [];
  for (let r = 0; r < rounds; r++) {
    const ms: number[] = [];
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      await pool.apply(tasks.noop, i);
      ms.push(performance.now() - t0);
    }
    out.push(ms);
  }
  return out;
}
