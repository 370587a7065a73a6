import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { ClientTls } from './ClientTls.ts';
import { UsageError } from './errors/UsageError.ts';

/** PEM text as given, or the contents of the file it names. */
function pem(value: string | Uint8Array, what: string): Buffer {
  if (typeof value !== 'string') return Buffer.from(value);
  if (value.includes('-----BEGIN')) return Buffer.from(value);
  try {
    return readFileSync(value);
  } catch (error) {
    throw new UsageError(`cannot read the TLS ${what} file ${value}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * gRPC channel credentials for a drover client: plaintext without `tls`, otherwise TLS verifying the
 * coordinator against `tls.ca` (or the system roots), presenting `tls.cert`/`tls.key` when given.
 * Pair with {@link clientChannelOptions}`(token, tls)`, which sets the expected server name.
 */
export function createChannelCredentials(tls: true | ClientTls | undefined): grpc.ChannelCredentials {
  if (tls === undefined) return grpc.credentials.createInsecure();
  const options = tls === true ? {} : tls;
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new UsageError('a TLS client certificate needs both cert and key (--tls-cert and --tls-key)');
  }
  if (options.partialTrustChain === true) {
    if (options.ca === undefined) throw new UsageError('partialTrustChain needs the certificates to trust in ca');
    // grpc-js's createSsl has no such option; a secure context made here carries it.
    const context = createSecureContext({
      ca: pem(options.ca, 'CA'),
      allowPartialTrustChain: true,
      ...(options.cert !== undefined && options.key !== undefined ? { cert: pem(options.cert, 'certificate'), key: pem(options.key, 'key') } : {}),
    });
    return grpc.credentials.createFromSecureContext(context);
  }
  return grpc.credentials.createSsl(
    options.ca === undefined ? null : pem(options.ca, 'CA'),
    options.key === undefined ? null : pem(options.key, 'key'),
    options.cert === undefined ? null : pem(options.cert, 'certificate'),
  );
}
