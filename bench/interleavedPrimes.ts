// P4's timed runs for the systems driven from this process (drover and the bare processes): each
// repetition is one serial run here, then one parallel run of each system, the order rotated every
// repetition. Timed at the same moments against the same serial runs, the systems' efficiencies differ by
// what the systems do, not by the host's state when each was measured (on a shared host, runs of one
// system and then of the other put the bare processes 11 points below drover in one run: 86 % against 97 %).
import { countPrimes } from './tasks.ts';
import type { PairedPrimes } from './pairedPrimes.ts';

/** For each system, its walls and the serial runs they follow (bench/pairedPrimes.ts is this with one system). */
export async function interleavedPrimes<K extends string>(
  ranges: readonly [number, number][],
  reps: number,
  systems: Record<K, () => Promise<number>>,
): Promise<Record<K, PairedPrimes>> {
  const names = Object.keys(systems) as K[];
  // The JIT compiles countPrimes in this process before the first timed serial run.
  ranges.slice(0, 4).forEach(countPrimes);
  const serials: number[] = [];
  const out = Object.fromEntries(names.map((name) => [name, { walls: [] as number[], serials, primes: 0 }])) as Record<K, PairedPrimes>;
  for (let r = 0; r < reps; r++) {
    let t0 = performance.now();
    const expected = ranges.reduce((sum, range) => sum + countPrimes(range), 0);
    serials.push((performance.now() - t0) / 1000);
    for (let i = 0; i < names.length; i++) {
      const name = names[(r + i) % names.length]!;
      t0 = performance.now();
      const primes = await systems[name]();
      out[name].walls.push((performance.now() - t0) / 1000);
      out[name].primes = primes;
      if (primes !== expected) throw new Error(`the ${name} run counted ${primes} primes, the serial one ${expected}`);
    }
  }
  return out;
}
