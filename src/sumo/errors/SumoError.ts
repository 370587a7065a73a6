// The class file rather than protocol/index.ts: the index also pulls in gRPC, protobuf and pino,
// which would add 1.5 MB to every task bundle that uses this library.
import { DroverError, type DroverErrorOptions } from '../../protocol/errors/DroverError.ts';

/** What every SUMO failure can tell about itself. */
export interface SumoErrorOptions extends DroverErrorOptions {
  /** Exit code of the SUMO process, when it exited. */
  exitCode?: number | null;
  /** Signal that ended the SUMO process, when one did. */
  signal?: string | null;
  /** The last lines SUMO wrote to stderr (its `Error:` lines are there). */
  stderrTail?: string;
}

/**
 * Base of the SUMO failures. `retryable` tells a scheduler whether running the same
 * simulation again may succeed (a crash, a port race) or will fail the same way (a bad scenario).
 */
export class SumoError extends DroverError {
  readonly retryable: boolean;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderrTail: string;

  constructor(code: string, message: string, retryable: boolean, options: SumoErrorOptions = {}) {
    super(code, message, options);
    this.retryable = retryable;
    this.exitCode = options.exitCode ?? null;
    this.signal = options.signal ?? null;
    this.stderrTail = options.stderrTail ?? '';
  }
}
