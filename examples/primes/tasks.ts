import { context } from 'drover/task';

/** Whether n is prime, by trial division over 6k ± 1. */
export function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n < 4) return true;
  if (n % 2 === 0 || n % 3 === 0) return false;
  for (let d = 5; d * d <= n; d += 6) {
    if (n % d === 0 || n % (d + 2) === 0) return false;
  }
  return true;
}

/** Count the primes in [lo, hi), and say which worker did it. */
export function countPrimes([lo, hi]: [number, number]): { lo: number; hi: number; count: number; worker: string; agent: string } {
  let count = 0;
  for (let n = lo; n < hi; n++) if (isPrime(n)) count++;
  return { lo, hi, count, worker: context.worker, agent: context.agent };
}
