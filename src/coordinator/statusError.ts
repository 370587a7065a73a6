import type * as grpc from '@grpc/grpc-js';

/**
 * An error carrying a gRPC status, in the shape grpc-js turns into the call's status both when
 * passed to a unary callback and when emitted as a stream's `error`.
 */
export function statusError(code: grpc.status, details: string): grpc.ServerErrorResponse {
  return Object.assign(new Error(details), { code, details });
}
