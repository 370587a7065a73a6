import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthConfigError, TokensFile } from '../../../../src/coordinator/auth/index.ts';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
let dir: string;
let file: TokensFile | undefined;
const logger = pino({ level: 'silent' });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drover-tokens-'));
});
afterEach(() => {
  file?.close();
  file = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function until(probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('TokensFile', () => {
  it('refuses to start on a missing or malformed file', () => {
    expect(() => new TokensFile(join(dir, 'nope'), { logger })).toThrow(AuthConfigError);
    writeFileSync(join(dir, 'bad'), 'client alice tooshort\n');
    expect(() => new TokensFile(join(dir, 'bad'), { logger })).toThrow(/at least 16 characters/);
  });

  it('picks up edits (revocation), keeps the last good table on a bad edit, and follows a file replaced by rename (Kubernetes Secret update)', async () => {
    const path = join(dir, 'tokens');
    writeFileSync(path, `client alice ${A}\nclient bob ${B}\n`);
    file = new TokensFile(path, { logger, pollIntervalMs: 20 });
    expect(file.table.lookup(B).status).toBe('valid');

    writeFileSync(path, `client alice ${A}\n`);
    await until(() => file!.table.lookup(B).status === 'unknown');
    expect(file.table.lookup(A).status).toBe('valid');

    writeFileSync(path, 'garbage line\n');
    expect(file.reload()).toBe(false);
    expect(file.table.lookup(A).status).toBe('valid');

    writeFileSync(join(dir, 'tokens.new'), `client bob ${B}\n`);
    renameSync(join(dir, 'tokens.new'), path);
    await until(() => file!.table.lookup(B).status === 'valid');
    expect(file.table.lookup(A).status).toBe('unknown');
  });
});
