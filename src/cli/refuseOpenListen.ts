import { UsageError, type Logger } from '../protocol/index.ts';
import { isLoopbackListen } from './isLoopbackListen.ts';

/**
 * Tasks are code execution on every agent, so a coordinator reachable beyond this machine must not
 * run without credentials. Until drover's token authentication lands, listening beyond loopback
 * needs an explicit `--insecure`, and then it says so loudly.
 */
export function refuseOpenListen(listen: string, insecure: boolean | undefined, logger: Logger): void {
  if (isLoopbackListen(listen)) return;
  if (!insecure) {
    throw new UsageError(
      `refusing to listen on ${listen} without authentication: anyone who can reach it can run code on every agent. ` +
        'Listen on 127.0.0.1, or pass --insecure if this network is private to you (e.g. a Kubernetes namespace with a NetworkPolicy).',
    );
  }
  logger.warn({ listen }, 'INSECURE: listening beyond loopback without authentication — anyone who can reach this port can run code on every agent');
}
