import * as grpc from '@grpc/grpc-js';
import type { ServerTls } from './ServerTls.ts';

type CertificateProvider = Parameters<typeof grpc.experimental.createCertificateProviderServerCredentials>[0];
type CaListener = Parameters<CertificateProvider['addCaCertificateListener']>[0];
type IdentityListener = Parameters<CertificateProvider['addIdentityCertificateListener']>[0];

/** Certificates that never change, in the shape grpc-js's certificate-provider credentials take. */
class StaticCertificates implements CertificateProvider {
  readonly #ca: Buffer | undefined;
  readonly #identity: { certificate: Buffer; privateKey: Buffer } | undefined;

  constructor(ca: Buffer | undefined, identity: { certificate: Buffer; privateKey: Buffer } | undefined) {
    this.#ca = ca;
    this.#identity = identity;
  }

  // Asynchronously: grpc-js registers the server's watcher only after adding these listeners, so
  // a synchronous answer would be lost and the server would drop every connection.
  addCaCertificateListener(listener: CaListener): void {
    queueMicrotask(() => listener(this.#ca ? { caCertificate: this.#ca } : null));
  }

  removeCaCertificateListener(): void {}

  addIdentityCertificateListener(listener: IdentityListener): void {
    queueMicrotask(() => listener(this.#identity ?? null));
  }

  removeIdentityCertificateListener(): void {}
}

const toBuffer = (pem: string | Uint8Array): Buffer => (typeof pem === 'string' ? Buffer.from(pem) : Buffer.from(pem));

/**
 * gRPC server credentials: plaintext without `tls`; TLS with it. With a client CA, the server asks
 * every peer for a certificate but does not require one at the handshake (clients authenticate
 * by token alone); a certificate that is presented must verify against the CA, and the
 * {@link Authenticator} requires one from agents.
 */
export function createServerCredentials(tls: ServerTls | undefined): grpc.ServerCredentials {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  const identity = { certificate: toBuffer(tls.cert), privateKey: toBuffer(tls.key) };
  if (tls.clientCa === undefined) {
    return grpc.ServerCredentials.createSsl(null, [{ cert_chain: identity.certificate, private_key: identity.privateKey }], false);
  }
  // One provider for both roles: grpc-js's declared parameter order (CA first) and its
  // implementation's (identity first) differ, and this way neither can be swapped.
  const certificates = new StaticCertificates(toBuffer(tls.clientCa), identity);
  return grpc.experimental.createCertificateProviderServerCredentials(certificates, certificates, false);
}
