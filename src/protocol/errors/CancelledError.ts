import { DroverError, type DroverErrorOptions } from './DroverError.ts';

/**
 * A job was cancelled (`job.cancel()`, an aborted `signal`, or `pool.terminate()`).
 * Its `name` is `AbortError`, as for an aborted `fetch`.
 */
export class CancelledError extends DroverError {
  constructor(message = 'the job was cancelled', options?: DroverErrorOptions) {
    super('DROVER_CANCELLED', message, options);
    this.name = 'AbortError';
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof DroverError && (value as DroverError).code === 'DROVER_CANCELLED';
  }
}
