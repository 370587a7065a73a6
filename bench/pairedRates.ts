// P1's and P2's drover and multiprocessing.Pool runs, alternated run by run: the target is their ratio,
// and on a shared host the machine's speed moves by a third within minutes, so a block of drover's runs
// and then one of the peer's measured the host's drift as much as either system (a session gave P2
// 1.13× on a steady host and 1.82× on a drifting one, for the same code).
import type { Pool } from '../src/sdk/index.ts';
import { noopMapRunner, noopRates } from './measureDrover.ts';
import type { PeerFigure } from './peerFigure.ts';
import { PeerSession } from './PeerSession.ts';
import { median } from './stats.ts';

export interface PairedRates {
  /** drover's timed runs, items/s. */
  drover: number[];
  /** drover's first full-size run (right after its small warm-up). */
  cold: number;
  /** mp's median rate (items/s), or why it could not run (drover's runs are then timed alone). */
  mp: PeerFigure;
  /** Median over the pairs of drover's rate ÷ mp's; NaN without mp. */
  ratio: number;
}

/**
 * `map(noop)` over n items on drover and on `multiprocessing.Pool` (`peers.py serve mp`, one Pool for the
 * session): a small warm-up each, `warmUps` (at least one: drover's first is its `cold` figure) full-size
 * runs each, alternating, then `reps` timed pairs.
 * Within a pair the order alternates (drover first, then mp first), so a steady drift favours neither.
 */
export async function pairedRates(
  pool: Pool,
  tasks: typeof import('./tasks.ts'),
  workload: 'p1' | 'p2',
  n: number,
  options: { chunksize?: number; reps: number; warmUps: number; processes: number },
): Promise<PairedRates> {
  let mp: PeerSession;
  try {
    mp = await PeerSession.start('mp', { processes: options.processes });
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    console.error(`  mp ${workload}: ${error}`);
    const alone = await noopRates(pool, tasks, n, options.reps, options.chunksize, options.warmUps);
    return { drover: alone.rates, cold: alone.cold, mp: { value: NaN, error }, ratio: NaN };
  }
  try {
    const droverRun = noopMapRunner(pool, tasks, n, options.chunksize);
    const mpRun = async (): Promise<number> => n / (await mp.request<{ seconds: number }>({ workload, n })).seconds;
    await mp.request({ workload, n: Math.min(n, 2000) });
    const cold = await droverRun();
    await mpRun();
    for (let w = 1; w < options.warmUps; w++) {
      await droverRun();
      await mpRun();
    }
    const drover: number[] = [];
    const mpRates: number[] = [];
    for (let r = 0; r < options.reps; r++) {
      if (r % 2 === 0) {
        drover.push(await droverRun());
        mpRates.push(await mpRun());
      } else {
        mpRates.push(await mpRun());
        drover.push(await droverRun());
      }
    }
    return { drover, cold, mp: { value: median(mpRates) }, ratio: median(drover.map((d, i) => d / mpRates[i]!)) };
  } finally {
    await mp.close();
  }
}
