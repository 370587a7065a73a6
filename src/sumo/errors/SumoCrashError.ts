import { SumoError, type SumoErrorOptions } from './SumoError.ts';

/**
 * SUMO died on its own: killed by a signal, `std::bad_alloc`, an unknown internal error.
 * Such crashes happen at random with many parallel TraCI instances (sumo#12893), so it is retryable.
 */
export class SumoCrashError extends SumoError {
  constructor(message: string, options?: SumoErrorOptions) {
    super('DROVER_SUMO_CRASH', message, true, options);
  }
}
