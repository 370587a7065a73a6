import { DroverError, type DroverErrorOptions } from '../protocol/index.ts';
import type { ExitCodeValue } from './ExitCode.ts';

/**
 * An error a `drover` command ends with: the message is printed on stderr and the process exits
 * with `exitCode` (see {@link ExitCode} and docs/cli.md).
 */
export class CliError extends DroverError {
  /** The process exit code this error maps to. */
  readonly exitCode: ExitCodeValue;

  constructor(code: string, message: string, exitCode: ExitCodeValue, options?: DroverErrorOptions) {
    super(code, message, options);
    this.exitCode = exitCode;
  }
}
