/**
 * Whether running the same simulation again may succeed: true for a SUMO crash, a TraCI port race
 * or a lost connection, false for a refused scenario. Looks at the error and its `cause` chain, and
 * reads the `retryable` flag rather than the class, so it also works on errors that crossed a
 * process boundary as plain objects.
 */
export function isRetryableSumoFailure(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const retryable = (e as { retryable?: unknown }).retryable;
    if (typeof retryable === 'boolean') return retryable;
  }
  return false;
}
