import { DroverError, type DroverErrorOptions } from '../protocol/index.ts';

/** A blob a task asked for (`context.fetchBlob`, `context.storeFile`) could not be fetched, verified or stored. */
export class BlobError extends DroverError {
  constructor(message: string, options?: DroverErrorOptions) {
    super('DROVER_BLOB', message, options);
  }
}
