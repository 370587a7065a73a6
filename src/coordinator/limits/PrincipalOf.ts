import type * as grpc from '@grpc/grpc-js';

/**
 * How the coordinator learns whom a call's per-principal quotas count against. By default the
 * principal its token names (see `CoordinatorOptions.principalOf`); tests may name others.
 */
export type PrincipalOf = (call: Pick<grpc.ServerUnaryCall<unknown, unknown>, 'metadata' | 'getPeer' | 'getAuthContext' | 'getPath'>) => string;
