import { SumoError, type SumoErrorOptions } from '../errors/SumoError.ts';

/** Options of a {@link TraciConnectionError}. */
export interface TraciConnectionErrorOptions extends SumoErrorOptions {
  /** Port the client tried or used. */
  port?: number;
  /** Defaults to true: a fresh SUMO on a fresh port usually connects. */
  retryable?: boolean;
}

/**
 * The TraCI connection could not be made or was lost: nobody listened on the port in time
 * (SUMO still loading, or another process took the port first: sumo#4232), SUMO closed the socket
 * in the middle of a reply, or the client was used after `close()`.
 */
export class TraciConnectionError extends SumoError {
  readonly port: number | null;

  constructor(message: string, options: TraciConnectionErrorOptions = {}) {
    super('DROVER_TRACI_CONNECTION', message, options.retryable ?? true, options);
    this.port = options.port ?? null;
  }
}
