import { SumoError, type SumoErrorOptions } from './SumoError.ts';

/** A SUMO output file is missing or is not what it should be (e.g. not a `<statistics>` document). */
export class SumoOutputError extends SumoError {
  constructor(message: string, options?: SumoErrorOptions) {
    super('DROVER_SUMO_OUTPUT', message, false, options);
  }
}
