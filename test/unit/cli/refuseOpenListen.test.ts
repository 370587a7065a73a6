import { describe, expect, it } from 'vitest';
import { isLoopbackListen } from '../../../src/cli/isLoopbackListen.ts';
import { refuseOpenListen } from '../../../src/cli/refuseOpenListen.ts';
import { UsageError } from '../../../src/protocol/index.ts';
import { createLogger } from '../../../src/protocol/logging/index.ts';

describe('listening beyond loopback', () => {
  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1:7070', '127.1.2.3:1', 'localhost:7070', '[::1]:7070']) expect(isLoopbackListen(a)).toBe(true);
    for (const a of ['0.0.0.0:7070', '10.0.0.5:7070', '[::]:7070', 'coord.example:7070', ':7070']) expect(isLoopbackListen(a)).toBe(false);
  });

  it('refuses a non-loopback listen without --insecure, saying what to do', () => {
    const logger = createLogger({ name: 'test', level: 'silent' });
    expect(() => refuseOpenListen('0.0.0.0:7070', false, logger)).toThrow(UsageError);
    expect(() => refuseOpenListen('0.0.0.0:7070', false, logger)).toThrow(/--insecure/);
    expect(() => refuseOpenListen('0.0.0.0:7070', true, logger)).not.toThrow();
    expect(() => refuseOpenListen('127.0.0.1:7070', false, logger)).not.toThrow();
  });

  it('accepts a non-loopback listen with tokens, warning when there is no TLS', () => {
    const warnings: string[] = [];
    const logger = createLogger({ name: 'test', level: 'silent' });
    logger.warn = ((_obj: unknown, message: string) => void warnings.push(message)) as typeof logger.warn;
    expect(() => refuseOpenListen('0.0.0.0:7070', false, logger, { tokens: true, tls: false })).not.toThrow();
    expect(warnings).toEqual([expect.stringMatching(/without TLS/)]);
    refuseOpenListen('0.0.0.0:7070', false, logger, { tokens: true, tls: true });
    expect(warnings).toHaveLength(1);
    refuseOpenListen('0.0.0.0:7070', true, logger, { tokens: false, tls: true });
    expect(warnings[1]).toMatch(/INSECURE/);
  });
});
