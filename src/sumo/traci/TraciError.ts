import { SumoError, type SumoErrorOptions } from '../errors/SumoError.ts';

/** Details of a TraCI command that SUMO answered with a non-OK status. */
export interface TraciErrorOptions extends SumoErrorOptions {
  /** TraCI command id, e.g. `0xa0` (get induction loop variable). */
  command: number;
  /** Status byte of the reply: `0x01` not implemented, `0xff` error. */
  status: number;
  /** SUMO's own description of what went wrong. */
  sumoMessage: string;
}

/**
 * SUMO answered a TraCI command with an error status (an unknown detector id, a state string of
 * the wrong length...). The connection stays usable; the same command fails the same way again.
 */
export class TraciError extends SumoError {
  readonly command: number;
  readonly status: number;
  readonly sumoMessage: string;

  constructor(message: string, options: TraciErrorOptions) {
    super('DROVER_TRACI', message, false, options);
    this.command = options.command;
    this.status = options.status;
    this.sumoMessage = options.sumoMessage;
  }
}
