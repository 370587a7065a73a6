import type * as grpc from '@grpc/grpc-js';

/**
 * Why a message was refused: the gRPC status the call ends with and a message naming the field, the
 * limit and the flag that changes it.
 */
export interface Violation {
  code: grpc.status;
  message: string;
}
