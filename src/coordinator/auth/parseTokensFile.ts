import { AuthConfigError } from './AuthConfigError.ts';
import { checkTokenSpec } from './checkTokenSpec.ts';
import type { Role } from './Role.ts';
import type { TokenSpec } from './TokenSpec.ts';

/**
 * Parses a tokens file: one token per line, `ROLE PRINCIPAL TOKEN [expires=ISO-8601]`, comments
 * (`#` at the start of a line or after whitespace) and blank lines ignored. A `#` inside a token is
 * part of it, not the start of a comment that would silently shorten it. Throws an {@link AuthConfigError} naming the line of the first mistake
 * (never quoting the secret itself).
 */
export function parseTokensFile(text: string, source: string): TokenSpec[] {
  const specs: TokenSpec[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    const where = `${source}:${i + 1}`;
    const fields = line.split(/\s+/);
    if (fields.length < 3 || fields.length > 4) {
      throw new AuthConfigError(`${where}: expected "ROLE PRINCIPAL TOKEN [expires=ISO-8601]", got ${fields.length} fields`);
    }
    const [role, principal, token, extra] = fields;
    checkTokenSpec({ role: role as Role, principal, token }, where);
    if (seen.has(token)) throw new AuthConfigError(`${where}: the token of ${principal} is also used on an earlier line; every token must be unique`);
    seen.add(token);
    const spec: TokenSpec = { role: role as Role, principal, token };
    if (extra !== undefined) {
      const match = /^expires=(.+)$/.exec(extra);
      const at = match ? new Date(match[1]) : undefined;
      if (at === undefined || Number.isNaN(at.getTime())) {
        throw new AuthConfigError(`${where}: the fourth field must be expires=<ISO-8601 date>, e.g. expires=2027-01-31T00:00:00Z`);
      }
      spec.expiresAt = at;
    }
    specs.push(spec);
  }
  return specs;
}
