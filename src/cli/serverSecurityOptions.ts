import { Option } from 'commander';

/**
 * The coordinator's credential and TLS flags, each also read from its environment variable
 * (Kubernetes mounts the files from Secrets). `tls: false` leaves out the TLS flags (`drover
 * local`: its agent is in-process, and a workstation cluster is for loopback).
 */
export function serverSecurityOptions(include: { tls?: boolean } = {}): Option[] {
  const options = [
    new Option('--tokens-file <path>', 'tokens clients, agents and admins must present: "ROLE PRINCIPAL TOKEN [expires=ISO-8601]" per line, re-read when it changes').env('DROVER_TOKENS_FILE'),
  ];
  if (include.tls !== false) {
    options.push(
      new Option('--tls-cert <path>', 'serve TLS (gRPC and HTTP side) with this PEM certificate chain').env('DROVER_TLS_CERT'),
      new Option('--tls-key <path>', 'private key of --tls-cert (PEM)').env('DROVER_TLS_KEY'),
      new Option('--tls-client-ca <path>', 'agents must present a TLS client certificate signed by this CA (mutual TLS)').env('DROVER_TLS_CLIENT_CA'),
    );
  }
  return options;
}
