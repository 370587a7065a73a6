// The task functions piscina's worker threads run for bench/peers/piscinaPeer.ts: the same code as
// drover's (bench/tasks.ts), so the two compare the pools, not the work.
import { countPrimes, noop } from '../tasks.ts';

export { countPrimes, noop };

/** One chunk of no-op items, as drover runs a chunk of `map`: the function once per item. */
export function noopChunk(items: unknown[]): unknown[] {
  return items.map(noop);
}
