// P4's timed runs, each right after a serial run of the same ranges in the same process: the
// machine's speed changes between moments (by a third or more on a shared host), and a serial run
// timed apart from the parallel ones would skew every efficiency with it. bench/peers/peers.py's
// `paired_primes` does the same for the Python peers.
import { interleavedPrimes } from './interleavedPrimes.ts';

/** Seconds of each parallel run and of the serial run just before it, and the primes counted. */
export interface PairedPrimes {
  walls: number[];
  serials: number[];
  primes: number;
}

/** `reps` pairs of (serial run here, `parallel()`), after a warm-up; throws if the two ever count differently. */
export async function pairedPrimes(ranges: readonly [number, number][], reps: number, parallel: () => Promise<number>): Promise<PairedPrimes> {
  // One system's pairs are interleaved runs of a single system.
  return (await interleavedPrimes(ranges, reps, { parallel })).parallel;
}
