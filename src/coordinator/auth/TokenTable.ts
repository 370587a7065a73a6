import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal } from './Principal.ts';
import type { TokenSpec } from './TokenSpec.ts';

interface Entry {
  principal: Principal;
  /** sha256 of the token: equal-length buffers for `timingSafeEqual`, and no secret kept in clear. */
  digest: Buffer;
  expiresAtMs: number;
}

/** What a token stands for in a {@link TokenTable}. */
export type TokenLookup =
  | { status: 'valid'; principal: Principal; expiresAtMs: number }
  | { status: 'expired'; principal: Principal; expiredAt: Date }
  | { status: 'unknown' };

/**
 * An immutable set of tokens. Lookups hash the presented token and compare it with every entry in
 * constant time, so neither the result nor the time taken tells how much of a guess was right.
 */
export class TokenTable {
  readonly #entries: readonly Entry[];

  constructor(specs: readonly TokenSpec[]) {
    this.#entries = specs.map((spec) => ({
      principal: Object.freeze({ name: spec.principal, role: spec.role }),
      digest: createHash('sha256').update(spec.token).digest(),
      expiresAtMs: spec.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY,
    }));
  }

  /** Number of tokens. */
  get size(): number {
    return this.#entries.length;
  }

  /** Whether a token of this table, valid at `nowMs`, makes the principal `name` an admin. */
  isAdmin(name: string, nowMs = Date.now()): boolean {
    return this.#entries.some((entry) => entry.principal.name === name && entry.principal.role === 'admin' && nowMs < entry.expiresAtMs);
  }

  /** What `token` stands for at `nowMs`. */
  lookup(token: string, nowMs = Date.now()): TokenLookup {
    const digest = createHash('sha256').update(token).digest();
    let found: Entry | undefined;
    // No early exit: every entry is compared whatever matched.
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.digest, digest)) found = entry;
    }
    if (found === undefined) return { status: 'unknown' };
    if (nowMs >= found.expiresAtMs) return { status: 'expired', principal: found.principal, expiredAt: new Date(found.expiresAtMs) };
    return { status: 'valid', principal: found.principal, expiresAtMs: found.expiresAtMs };
  }
}
