import { UsageError, type Logger } from '../protocol/index.ts';
import { isLoopbackListen } from './isLoopbackListen.ts';

/** What protects a coordinator's listener. */
export interface ListenProtection {
  /** Tokens are configured (`--tokens-file`). */
  tokens: boolean;
  /** TLS is configured (`--tls-cert`/`--tls-key`). */
  tls: boolean;
}

/**
 * Tasks are code execution on every agent, so a coordinator reachable beyond this machine must not
 * run without credentials: listening beyond loopback without tokens needs an explicit `--insecure`,
 * and then it says so loudly. With tokens but no TLS it warns that tokens (and task code and
 * data) cross the network in clear.
 */
export function refuseOpenListen(listen: string, insecure: boolean | undefined, logger: Logger, protection: ListenProtection = { tokens: false, tls: false }): void {
  if (isLoopbackListen(listen)) return;
  if (!protection.tokens) {
    if (!insecure) {
      throw new UsageError(
        `refusing to listen on ${listen} without authentication: anyone who can reach it can run code on every agent. ` +
          'Pass --tokens-file (see docs/security.md), listen on 127.0.0.1, or pass --insecure if this network is private to you (e.g. a Kubernetes namespace with a NetworkPolicy).',
      );
    }
    logger.warn({ listen }, 'INSECURE: listening beyond loopback without authentication — anyone who can reach this port can run code on every agent');
    return;
  }
  if (!protection.tls) {
    logger.warn({ listen }, 'listening beyond loopback without TLS: tokens, task code and data cross the network in clear; pass --tls-cert and --tls-key');
  }
}
