// P4's timed runs, each right after a serial run of the same ranges in the same process: the
// machine's speed changes between moments (by a third or more on a shared host), and a serial run
// timed apart from the parallel ones would skew every efficiency with it. bench/peers/peers.py's
// `paired_primes` does the same for the Python peers.
import { countPrimes } from './tasks.ts';

/** Seconds of each parallel run and of the serial run just before it, and the primes counted. */
export interface PairedPrimes {
  walls: number[];
  serials: number[];
  primes: number;
}

/** `reps` pairs of (serial run here, `parallel()`), after a warm-up; throws if the two ever count differently. */
export async function pairedPrimes(ranges: readonly [number, number][], reps: number, parallel: () => Promise<number>): Promise<PairedPrimes> {
  // The JIT compiles countPrimes in this process before the first timed serial run.
  ranges.slice(0, 4).forEach(countPrimes);
  const walls: number[] = [];
  const serials: number[] = [];
  let primes = 0;
  for (let r = 0; r < reps; r++) {
    let t0 = performance.now();
    const expected = ranges.reduce((sum, range) => sum + countPrimes(range), 0);
    serials.push((performance.now() - t0) / 1000);
    t0 = performance.now();
    primes = await parallel();
    walls.push((performance.now() - t0) / 1000);
    if (primes !== expected) throw new Error(`the parallel run counted ${primes} primes, the serial one ${expected}`);
  }
  return { walls, serials, primes };
}
