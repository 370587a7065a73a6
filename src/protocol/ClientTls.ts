/**
 * How a client (SDK, agent, CLI) verifies the coordinator over TLS, and the certificate it presents
 * for mutual TLS. `true` instead of an object: TLS with the system's root CAs.
 */
export interface ClientTls {
  /** CA that signed the coordinator's certificate: PEM contents, or a path to a PEM file. Default: system roots. */
  ca?: string | Uint8Array;
  /** Client certificate chain for mutual TLS (agents, when the coordinator has `--tls-client-ca`): PEM or path. */
  cert?: string | Uint8Array;
  /** Its private key: PEM or path. */
  key?: string | Uint8Array;
  /** Name the coordinator's certificate must carry, when it differs from the address's host (e.g. connecting by IP). */
  serverName?: string;
  /**
   * Trust the certificates in `ca` themselves, even when they are not self-signed CA certificates (Node's
   * `allowPartialTrustChain`): `ca` may then be the coordinator's own certificate, pinned. `drover local`'s
   * in-process agent trusts the certificate its coordinator serves this way.
   */
  partialTrustChain?: boolean;
}
