import { readFileSync } from 'node:fs';
import { UsageError, type ClientTls } from '../protocol/index.ts';

/** A client's credential flags (`--token-file`, `--tls`, `--tls-ca`, `--tls-cert`, `--tls-key`), env already applied. */
export interface ClientCredentialFlags {
  tokenFile?: string;
  tls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/**
 * The token (`--token-file`, else `DROVER_TOKEN`) and TLS settings (`--tls-ca` implies TLS) the
 * flags ask for. The token file holds the token alone (surrounding whitespace ignored).
 */
export function readClientCredentials(flags: ClientCredentialFlags): { token?: string; tls?: true | ClientTls } {
  let token: string | undefined;
  if (flags.tokenFile !== undefined) {
    try {
      token = readFileSync(flags.tokenFile, 'utf8').trim();
    } catch (error) {
      throw new UsageError(`--token-file ${flags.tokenFile}: ${(error as Error).message}`, { cause: error });
    }
    if (token === '') throw new UsageError(`--token-file ${flags.tokenFile} is empty; it must hold the token`);
  } else {
    token = process.env.DROVER_TOKEN || undefined;
  }
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new UsageError('a client certificate needs both --tls-cert and --tls-key');
  }
  let tls: true | ClientTls | undefined;
  if (flags.tlsCa !== undefined || flags.tlsCert !== undefined) {
    // Paths: createChannelCredentials reads them.
    tls = {
      ...(flags.tlsCa !== undefined ? { ca: flags.tlsCa } : {}),
      ...(flags.tlsCert !== undefined ? { cert: flags.tlsCert } : {}),
      ...(flags.tlsKey !== undefined ? { key: flags.tlsKey } : {}),
    };
  } else if (flags.tls) {
    tls = true;
  }
  return { ...(token !== undefined ? { token } : {}), ...(tls !== undefined ? { tls } : {}) };
}
