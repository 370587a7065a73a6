import type * as grpc from '@grpc/grpc-js';

/** How the coordinator learns who made a call, for per-principal quotas. */
export type PrincipalOf = (call: Pick<grpc.ServerUnaryCall<unknown, unknown>, 'metadata' | 'getPeer' | 'getAuthContext' | 'getPath'>) => string;

/**
 * The principal a call is counted against: `'anonymous'` for every call until credentials say
 * otherwise (the authentication layer supplies the real one through `CoordinatorOptions.principalOf`).
 */
export const principalOf: PrincipalOf = () => 'anonymous';
