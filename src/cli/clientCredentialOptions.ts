import { Option } from 'commander';

/** The flags a client of the coordinator (agent, admin commands) takes to authenticate and verify it. */
export function clientCredentialOptions(): Option[] {
  return [
    new Option('--token-file <path>', 'file holding the token to present (default: the DROVER_TOKEN variable)').env('DROVER_TOKEN_FILE'),
    new Option('--tls', 'connect with TLS, verifying the coordinator against the system root CAs'),
    new Option('--tls-ca <path>', 'connect with TLS, verifying the coordinator against this CA (PEM)').env('DROVER_TLS_CA'),
    new Option('--tls-cert <path>', 'client certificate to present (PEM), for a coordinator with --tls-client-ca'),
    new Option('--tls-key <path>', 'private key of --tls-cert (PEM)'),
  ];
}
