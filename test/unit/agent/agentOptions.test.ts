import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Agent } from '../../../src/agent/index.ts';

describe('Agent options', () => {
  it('refuses a workerNice that is not an integer from 0 to 19, saying which values it takes', () => {
    const make = (workerNice: number) => () => new Agent({ coordinator: '127.0.0.1:1', workerNice, logger: pino({ level: 'silent' }) });
    for (const bad of [-1, 20, 2.5, Number.NaN]) {
      expect(make(bad)).toThrow(expect.objectContaining({ code: 'DROVER_USAGE', message: expect.stringMatching(/workerNice must be an integer from 0 to 19/) }));
    }
    for (const ok of [0, 5, 19]) expect(make(ok)).not.toThrow();
  });
});
