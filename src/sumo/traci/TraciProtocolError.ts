import { SumoError, type SumoErrorOptions } from '../errors/SumoError.ts';

/**
 * A reply that does not follow the TraCI protocol: truncated, the wrong response id, an
 * unexpected value type. Points at a client/server version mismatch, so it is not retryable.
 */
export class TraciProtocolError extends SumoError {
  constructor(message: string, options?: SumoErrorOptions) {
    super('DROVER_TRACI_PROTOCOL', message, false, options);
  }
}
