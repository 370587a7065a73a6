// Task functions for the benchmarks.

/** Does nothing: measures drover's own per-task cost. */
export function noop(x: unknown): unknown {
  return x;
}
