import { describe, expect, it } from 'vitest';
import { AuthConfigError, parseTokensFile } from '../../../../src/coordinator/auth/index.ts';

const T1 = 'a'.repeat(64);
const T2 = 'b'.repeat(32);

describe('parseTokensFile', () => {
  it('reads roles, principals, tokens and expiry; skips comments and blank lines', () => {
    const text = `# tokens\n\nclient alice ${T1}\n  agent rack-1 ${T2} expires=2030-01-02T03:04:05Z   # trailing comment\r\n`;
    expect(parseTokensFile(text, 'tokens')).toEqual([
      { role: 'client', principal: 'alice', token: T1 },
      { role: 'agent', principal: 'rack-1', token: T2, expiresAt: new Date('2030-01-02T03:04:05Z') },
    ]);
    expect(parseTokensFile('', 'empty')).toEqual([]);
  });

  it('keeps a # inside a token (only # at a line start or after whitespace begins a comment)', () => {
    const withHash = `0123456789abcdef#${'x'.repeat(16)}`;
    expect(parseTokensFile(`client alice ${withHash} # comment`, 'tokens')).toEqual([{ role: 'client', principal: 'alice', token: withHash }]);
  });

  it.each([
    [`root alice ${T1}`, /tokens:1: role must be client, agent or admin/],
    [`client al/ice ${T1}`, /tokens:1: the principal name/],
    ['client alice short', /tokens:1: the token of alice must be at least 16 characters without whitespace; make one with `openssl rand -hex 32`/],
    [`client alice`, /tokens:1: expected "ROLE PRINCIPAL TOKEN/],
    [`client alice ${T1} expires=tomorrow`, /tokens:1: the fourth field must be expires=/],
    [`client alice ${T1} extra=1`, /tokens:1: the fourth field must be expires=/],
    [`client alice ${T1}\n\nadmin bob ${T1}`, /tokens:3: the token of bob is also used on an earlier line/],
  ])('refuses %j with a message naming the line', (text, message) => {
    expect(() => parseTokensFile(text, 'tokens')).toThrow(AuthConfigError);
    expect(() => parseTokensFile(text, 'tokens')).toThrow(message);
  });

  it('never quotes the secret in its errors', () => {
    const secret = 'c'.repeat(40);
    for (const text of [`root alice ${secret}`, `client alice ${secret} expires=x`, `client alice ${secret}\nclient bob ${secret}`]) {
      try {
        parseTokensFile(text, 'tokens');
        expect.unreachable();
      } catch (error) {
        expect((error as Error).message).not.toContain(secret);
        expect((error as AuthConfigError).code).toBe('DROVER_AUTH_CONFIG');
      }
    }
  });
});
