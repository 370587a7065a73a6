import { SumoError, type SumoErrorOptions } from './SumoError.ts';

/**
 * SUMO or one of its tools refused the input: a missing file, an unknown option, a broken
 * network or route. Running it again fails the same way, so it is not retryable.
 */
export class SumoScenarioError extends SumoError {
  constructor(message: string, options?: SumoErrorOptions) {
    super('DROVER_SUMO_SCENARIO', message, false, options);
  }
}
