import { DroverError, type DroverErrorOptions } from './DroverError.ts';

/** A verb or command was called with arguments drover cannot use. */
export class UsageError extends DroverError {
  constructor(message: string, options?: DroverErrorOptions) {
    super('DROVER_USAGE', message, options);
  }
}
