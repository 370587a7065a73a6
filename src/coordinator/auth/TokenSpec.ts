import type { Role } from './Role.ts';

/** One credential: a secret token standing for a principal with a role, until it expires. */
export interface TokenSpec {
  role: Role;
  /** Principal name: 1 to 128 characters of letters, digits and `_.@:-`. */
  principal: string;
  /** The secret, at least 16 characters without whitespace (`openssl rand -hex 32`). */
  token: string;
  /** After this instant the token is refused (UNAUTHENTICATED); none: it never expires. */
  expiresAt?: Date;
}
