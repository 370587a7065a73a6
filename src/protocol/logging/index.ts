/**
 * drover's logger: pino writing to stderr, JSON lines for machines and colourised when a person watches
 * a terminal. Apart from the rest of `protocol/` so that an SDK process connecting to a coordinator does
 * not load pino: only the long-running roles (coordinator, agent, the embedded cluster) log.
 *
 * @example
 * import { createLogger } from '../protocol/logging/index.ts';
 * const log = createLogger({ name: 'coordinator', level: 'info' });
 * log.info({ address: '127.0.0.1:7070' }, 'coordinator listening');
 *
 * @module
 */
export { createLogger, type Logger, type LoggerOptions } from './createLogger.ts';
