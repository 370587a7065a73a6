/**
 * Credentials for the coordinator: token tables (from a tokens file re-read when it changes, or
 * given in code), constant-time lookup, and the guard that authenticates and authorizes every call
 * before a service handles it. See docs/security.md.
 *
 * @module
 */
export { Authenticator, type AccessRule, type AuthenticatorOptions } from './Authenticator.ts';
export { AuthConfigError } from './AuthConfigError.ts';
export { BlobAccess } from './BlobAccess.ts';
export { CallPrincipal } from './CallPrincipal.ts';
export { OPEN_PRINCIPAL } from './OPEN_PRINCIPAL.ts';
export type { ServedJobs } from './ServedJobs.ts';
export { MIN_TOKEN_LENGTH } from './MIN_TOKEN_LENGTH.ts';
export { mayAccess } from './mayAccess.ts';
export { parseTokensFile } from './parseTokensFile.ts';
export type { Principal } from './Principal.ts';
export type { Role } from './Role.ts';
export { TokenTable, type TokenLookup } from './TokenTable.ts';
export { TokensFile, type TokensFileOptions } from './TokensFile.ts';
export type { TokenSpec } from './TokenSpec.ts';
