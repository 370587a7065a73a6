import type { ClientTls } from '../protocol/index.ts';

/** Where and how a command connects, resolved from flags and environment by `resolveConnection()`. */
export interface ConnectionSettings {
  /** `host:port`; undefined when neither `--coordinator` nor `DROVER_ADDRESS` is set. */
  address: string | undefined;
  /** Bearer token, when one is configured. */
  token: string | undefined;
  /** TLS: `true` for the system roots, or PEM material; undefined for plaintext. */
  tls: true | ClientTls | undefined;
}
