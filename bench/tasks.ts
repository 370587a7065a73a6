// Task functions for the benchmarks.

/** Does nothing: measures drover's own per-task cost. */
export function noop(x: unknown): unknown {
  return x;
}

/**
 * Primes in [lo, hi) by trial division by odd numbers up to √n — the same algorithm as
 * bench/peers/peers.py's count_primes, so P4 compares runtimes, not algorithms.
 */
export function countPrimes(range: [number, number]): number {
  const [lo, hi] = range;
  let count = 0;
  for (let n = Math.max(lo, 2); n < hi; n++) {
    if (n < 4) {
      count++;
      continue;
    }
    if (n % 2 === 0) continue;
    let prime = true;
    for (let d = 3; d * d <= n; d += 2) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}
