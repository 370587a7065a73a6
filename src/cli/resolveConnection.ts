import { readFileSync } from 'node:fs';
import { CliError } from './CliError.ts';
import type { ConnectionFlags } from './connectionOptions.ts';
import type { ConnectionSettings } from './ConnectionSettings.ts';
import { ExitCode } from './ExitCode.ts';

/**
 * Resolves the shared connection flags against the environment: flags win over `DROVER_ADDRESS`,
 * `DROVER_TOKEN` / `DROVER_TOKEN_FILE` and `DROVER_TLS_CA`. Files that cannot be read are usage
 * errors (exit 2) naming the flag.
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const address = flags.coordinator ?? (env.DROVER_ADDRESS || undefined);
  if (address !== undefined && !/^.+:\d+$/.test(address)) {
    throw new CliError('DROVER_USAGE', `--coordinator must be HOST:PORT, got ${JSON.stringify(address)}`, ExitCode.usage);
  }
  // As the SDK: the flag, else DROVER_TOKEN (the token itself), else the file DROVER_TOKEN_FILE names.
  const envToken = env.DROVER_TOKEN || undefined;
  const tokenFile = flags.tokenFile ?? (envToken === undefined ? env.DROVER_TOKEN_FILE || undefined : undefined);
  let token = envToken;
  if (tokenFile !== undefined) {
    token = readPem(tokenFile, flags.tokenFile !== undefined ? '--token-file' : 'DROVER_TOKEN_FILE').toString('utf8').trim();
    if (token === '') throw new CliError('DROVER_USAGE', `the token file ${tokenFile} is empty: put the token on its first line`, ExitCode.usage);
  }
  const caPath = flags.tlsCa ?? (env.DROVER_TLS_CA || undefined);
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new CliError('DROVER_USAGE', '--tls-cert and --tls-key go together: give both (a client certificate and its key) or neither', ExitCode.usage);
  }
  let tls: ConnectionSettings['tls'];
  if (caPath !== undefined || flags.tlsCert !== undefined) {
    tls = {
      ...(caPath !== undefined ? { ca: readPem(caPath, flags.tlsCa !== undefined ? '--tls-ca' : 'DROVER_TLS_CA') } : {}),
      ...(flags.tlsCert !== undefined ? { cert: readPem(flags.tlsCert, '--tls-cert'), key: readPem(flags.tlsKey!, '--tls-key') } : {}),
    };
  } else if (flags.tls) {
    tls = true;
  }
  return { address, token, tls };
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new CliError('DROVER_USAGE', `cannot read ${what} ${path}: ${(cause as Error).message}`, ExitCode.usage, { cause });
  }
}
