import { DroverError, type DroverErrorOptions } from './DroverError.ts';

/** The coordinator could not be reached, or the connection to it broke. */
export class ConnectionError extends DroverError {
  constructor(message: string, options?: DroverErrorOptions) {
    super('DROVER_CONNECTION', message, options);
  }
}
