import { Option } from 'commander';

/** Levels `--log-level` accepts (pino's, minus `fatal` which drover does not use, plus `silent`). */
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];

/**
 * `--log-level LEVEL` (env `DROVER_LOG_LEVEL`, default `info`) for long-running commands: how much
 * of pino's log (stderr; JSON lines unless stderr is a terminal) to write.
 */
export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'log verbosity on stderr').choices(LEVELS).env('DROVER_LOG_LEVEL').default('info');
}
