import { Command } from 'commander';

/** Flags every command that talks to a running coordinator shares (see {@link connectionOptions}). */
export interface ConnectionFlags {
  coordinator?: string;
  tokenFile?: string;
  tls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/**
 * Adds the connection flags shared by `drover agent`, `status`, `jobs …` and `map` — the one place
 * they are declared, so every command spells them (and their environment variables) the same way:
 *
 * - `--coordinator HOST:PORT` (env `DROVER_ADDRESS`)
 * - `--token-file PATH` (env `DROVER_TOKEN_FILE`; env `DROVER_TOKEN` holds the token itself)
 * - `--tls` (TLS with the system roots), `--tls-ca PATH` (env `DROVER_TLS_CA`; implies TLS)
 * - `--tls-cert PATH --tls-key PATH` (client certificate, for mTLS)
 *
 * `resolveConnection()` turns the parsed flags into what the clients use.
 */
export function connectionOptions(command: Command, coordinatorHelp = 'coordinator address (default DROVER_ADDRESS or 127.0.0.1:7070)'): Command {
  return command
    .option('--coordinator <host:port>', coordinatorHelp)
    .option('--token-file <path>', 'file holding the token (default DROVER_TOKEN_FILE; DROVER_TOKEN holds the token itself)')
    .option('--tls', 'connect with TLS, verifying the coordinator against the system roots')
    .option('--tls-ca <path>', 'CA certificate (PEM) to verify the coordinator with; implies --tls (default DROVER_TLS_CA)')
    .option('--tls-cert <path>', 'client certificate (PEM) for mutual TLS; needs --tls-key')
    .option('--tls-key <path>', 'private key (PEM) of --tls-cert');
}
