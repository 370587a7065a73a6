import { DroverError, type DroverErrorOptions } from './DroverError.ts';

/** A task module could not be bundled, uploaded, fetched or verified. */
export class BundleError extends DroverError {
  constructor(message: string, options?: DroverErrorOptions) {
    super('DROVER_BUNDLE', message, options);
  }
}
