import { status } from '@grpc/grpc-js';

/**
 * Whether `err` (or an error in its `cause` chain) is the coordinator refusing the caller's token
 * (gRPC UNAUTHENTICATED): the SDK wraps such failures in its own errors (`BlobError`,
 * `ConnectionError`), yet the command must still exit with `ExitCode.unauthorized`.
 */
export function refusedCredentials(err: unknown): boolean {
  for (let e = err, depth = 0; e !== null && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    // A gRPC ServiceError: a numeric status code next to its details (drover's own errors have string codes).
    const { code, details } = e as { code?: unknown; details?: unknown };
    if (code === status.UNAUTHENTICATED && typeof details === 'string') return true;
  }
  return false;
}
