import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { TokenTable } from '../../../../src/coordinator/auth/index.ts';
import { Coordinator } from '../../../../src/coordinator/index.ts';

const alice = 'a'.repeat(64);
const agent = 'b'.repeat(64);

describe('TokenTable', () => {
  const table = new TokenTable([
    { role: 'client', principal: 'alice', token: alice },
    { role: 'agent', principal: 'rack-1', token: agent, expiresAt: new Date(2_000) },
  ]);

  it('maps a token to its principal and role', () => {
    expect(table.lookup(alice)).toEqual({ status: 'valid', principal: { name: 'alice', role: 'client' }, expiresAtMs: Number.POSITIVE_INFINITY });
    expect(table.lookup(agent, 1_999)).toEqual({ status: 'valid', principal: { name: 'rack-1', role: 'agent' }, expiresAtMs: 2_000 });
    expect(table.size).toBe(2);
  });

  it('knows nothing of other tokens, prefixes or extensions of a token, or the empty token', () => {
    for (const token of ['', 'a', alice.slice(0, -1), `${alice}a`, alice.toUpperCase(), 'c'.repeat(64)]) {
      expect(table.lookup(token)).toEqual({ status: 'unknown' });
    }
  });

  it('reports an expired token as expired, from its expiry instant on', () => {
    expect(table.lookup(agent, 2_000)).toEqual({ status: 'expired', principal: { name: 'rack-1', role: 'agent' }, expiredAt: new Date(2_000) });
  });
});

describe('tokens given to the Coordinator in code', () => {
  it('are checked like a tokens file: a short secret or a bad principal stops start()', async () => {
    const logger = pino({ level: 'silent' });
    await expect(new Coordinator({ listen: '127.0.0.1:0', logger, tokens: [{ role: 'client', principal: 'alice', token: 'short' }] }).start()).rejects.toThrow(
      /Coordinator: tokens\[0\]: the token of alice must be at least 16 characters/,
    );
    await expect(new Coordinator({ listen: '127.0.0.1:0', logger, tokens: [{ role: 'client', principal: 'a b', token: alice }] }).start()).rejects.toThrow(/principal name/);
  });
});
