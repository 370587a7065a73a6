import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/buildProgram.ts';
import { limitOptions } from '../../../src/cli/limitOptions.ts';
import { DEFAULT_LIMITS, limitFlag, type Limits } from '../../../src/coordinator/index.ts';

const keys = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];

describe('limit flags', () => {
  it('are on every command that runs a coordinator, one per limit', () => {
    const program = buildProgram();
    for (const name of ['coordinator', 'local']) {
      const command = program.commands.find((c) => c.name() === name)!;
      for (const key of keys) expect(command.options.some((o) => o.long === limitFlag(key)), `${name} ${limitFlag(key)}`).toBe(true);
    }
  });

  it('parse as positive integers and reach the limits under their own names', () => {
    const program = buildProgram();
    const local = program.commands.find((c) => c.name() === 'local')!;
    local.action(() => {});
    program.parse(['local', '--max-task-bytes', '4096', '--max-retries', '7'], { from: 'user' });
    expect(limitOptions.read(local.opts() as Partial<Limits>)).toEqual({ maxTaskBytes: 4096, maxRetries: 7 });
  });
});
