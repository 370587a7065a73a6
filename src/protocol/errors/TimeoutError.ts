import { DroverError, type DroverErrorOptions } from './DroverError.ts';

/**
 * A wait ran out of time, e.g. `AsyncResult.get({ timeoutMs })`. Like Python's
 * `multiprocessing.TimeoutError`, the task itself keeps running.
 */
export class TimeoutError extends DroverError {
  constructor(message: string, options?: DroverErrorOptions) {
    super('DROVER_TIMEOUT', message, options);
  }
}
