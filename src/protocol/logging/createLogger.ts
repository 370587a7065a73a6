import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Component name: `coordinator`, `agent`, `sdk`... */
  name: string;
  /** pino level; defaults to `DROVER_LOG_LEVEL` or `info`. */
  level?: string;
  /** Force pretty (true) or JSON (false) output; defaults to pretty when stderr is a TTY. */
  pretty?: boolean;
}

/**
 * A pino logger writing to stderr: JSON lines for machines, colourised when a person
 * watches a terminal. Children carry `jobId` / `taskId` fields.
 */
export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? process.env.DROVER_LOG_LEVEL ?? 'info';
  const wantPretty = options.pretty ?? Boolean(process.stderr.isTTY);
  const base = { name: options.name, level };
  if (wantPretty) {
    return pino(base, pretty({ destination: 2, sync: true, ignore: 'pid,hostname' }));
  }
  return pino(base, pino.destination({ dest: 2, sync: false }));
}

export type { Logger } from 'pino';
