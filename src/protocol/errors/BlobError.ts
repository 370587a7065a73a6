import { DroverError, type DroverErrorOptions } from './DroverError.ts';

/**
 * A blob (a task's file, a command's output, a scenario file) could not be read, fetched, verified or
 * stored in the coordinator's blob store.
 */
export class BlobError extends DroverError {
  constructor(message: string, options?: DroverErrorOptions) {
    super('DROVER_BLOB', message, options);
  }
}
