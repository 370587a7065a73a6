import { AuthConfigError } from './AuthConfigError.ts';
import { MIN_TOKEN_LENGTH } from './MIN_TOKEN_LENGTH.ts';
import type { TokenSpec } from './TokenSpec.ts';

const ROLES: ReadonlySet<string> = new Set(['client', 'agent', 'admin']);
const principalPattern = /^[A-Za-z0-9_.@:-]{1,128}$/;

/**
 * Throws an {@link AuthConfigError} (prefixed with `where`) unless the token has a known role, a
 * well-formed principal name and a secret long enough not to be guessed. Never quotes the secret.
 */
export function checkTokenSpec(spec: TokenSpec, where: string): void {
  if (!ROLES.has(spec.role)) throw new AuthConfigError(`${where}: role must be client, agent or admin, got ${JSON.stringify(String(spec.role).slice(0, 40))}`);
  if (!principalPattern.test(spec.principal)) {
    throw new AuthConfigError(`${where}: the principal name must be 1 to 128 characters of letters, digits and _.@:-`);
  }
  if (spec.token.length < MIN_TOKEN_LENGTH || /\s/.test(spec.token)) {
    throw new AuthConfigError(`${where}: the token of ${spec.principal} must be at least ${MIN_TOKEN_LENGTH} characters without whitespace; make one with \`openssl rand -hex 32\``);
  }
  if (spec.expiresAt !== undefined && Number.isNaN(spec.expiresAt.getTime())) throw new AuthConfigError(`${where}: the expiry of ${spec.principal}'s token is not a valid date`);
}
