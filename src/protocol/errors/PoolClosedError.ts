import { DroverError, type DroverErrorOptions } from './DroverError.ts';

/** A verb was called on a pool after `close()` or `terminate()`. */
export class PoolClosedError extends DroverError {
  constructor(message = 'this pool is closed: call connect() again to get a new pool', options?: DroverErrorOptions) {
    super('DROVER_POOL_CLOSED', message, options);
  }
}
