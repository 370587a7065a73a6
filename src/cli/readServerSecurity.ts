import { readFileSync } from 'node:fs';
import type { ServerTls } from '../coordinator/index.ts';
import { UsageError } from '../protocol/index.ts';

/** The coordinator's security flags (`--tokens-file`, `--tls-cert`, `--tls-key`, `--tls-client-ca`). */
export interface ServerSecurityFlags {
  tokensFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
}

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`${flag} ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Reads the TLS files the flags name; says which flag is missing or unreadable. */
export function readServerSecurity(flags: ServerSecurityFlags): { tokensFile?: string; tls?: ServerTls } {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new UsageError('TLS needs both --tls-cert and --tls-key (or DROVER_TLS_CERT and DROVER_TLS_KEY)');
  }
  if (flags.tlsClientCa !== undefined && flags.tlsCert === undefined) {
    throw new UsageError('--tls-client-ca needs TLS: pass --tls-cert and --tls-key too');
  }
  const tls: ServerTls | undefined =
    flags.tlsCert === undefined || flags.tlsKey === undefined
      ? undefined
      : {
          cert: readPem(flags.tlsCert, '--tls-cert'),
          key: readPem(flags.tlsKey, '--tls-key'),
          ...(flags.tlsClientCa !== undefined ? { clientCa: readPem(flags.tlsClientCa, '--tls-client-ca') } : {}),
        };
  return { ...(flags.tokensFile !== undefined ? { tokensFile: flags.tokensFile } : {}), ...(tls ? { tls } : {}) };
}
