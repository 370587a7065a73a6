/** TLS material of a coordinator, PEM-encoded (the contents, not paths). */
export interface ServerTls {
  /** Certificate chain served on every listener (gRPC and the HTTP side). */
  cert: string | Uint8Array;
  /** Its private key. */
  key: string | Uint8Array;
  /**
   * CA whose certificates agents must present (mutual TLS). Clients may still connect without one:
   * they are identified by their token only.
   */
  clientCa?: string | Uint8Array;
}
