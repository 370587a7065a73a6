import { existsSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, ServicesHarness } from './servicesHarness.ts';

describe('context.scratchDir', () => {
  let h: ServicesHarness;
  beforeAll(async () => {
    h = await ServicesHarness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** Run `scratch(note, then)`; the directory it made (read from its note). */
  const run = async (then: string, extra = {}) => {
    const note = h.note(`scratch-${then}`);
    const result = await h.result(h.assign('scratch', [note, then], extra));
    const dir = h.read(`scratch-${then}`);
    expect(dir).not.toBe('');
    return { result, dir };
  };

  it('is a fresh private directory under the work dir, the same for the whole attempt, removed after success', async () => {
    const { result, dir } = await run('return');
    expect(result.outcome?.$case).toBe('value');
    expect(dirname(dir)).toBe(h.workDir);
    expect((await stat(h.workDir)).mode & 0o777).toBe(0o700);
    const { decodeValue } = await import('../../../src/protocol/index.ts');
    const [info] = decodeValue(result.outcome!.value as Uint8Array) as { dir: string; same: boolean; mode: number; text: string }[];
    expect(info).toEqual({ dir, same: true, mode: 0o700, text: 'hello' });
    await eventually(() => !existsSync(dir), 'scratch dir removed after success');
    // Another attempt gets another directory.
    const second = await run('return');
    expect(second.dir).not.toBe(dir);
  });

  it('is removed after the task threw', async () => {
    const { result, dir } = await run('throw');
    expect(result.outcome).toMatchObject({ $case: 'failure', value: { kind: 'error' } });
    await eventually(() => !existsSync(dir), 'scratch dir removed after an error');
  });

  it('is removed after the worker crashed (process.exit)', async () => {
    const { result, dir } = await run('exit');
    expect(result.outcome).toMatchObject({ $case: 'failure', value: { kind: 'crashed', exitCode: 3 } });
    await eventually(() => !existsSync(dir), 'scratch dir removed after a crash');
  });

  it('is removed after a timeout', async () => {
    const { result, dir } = await run('hang', { timeoutMs: 400 });
    expect(result.outcome).toMatchObject({ $case: 'failure', value: { kind: 'timeout' } });
    await eventually(() => !existsSync(dir), 'scratch dir removed after a timeout');
  });

  it('is removed after a cancel', async () => {
    const note = h.note('scratch-cancel');
    const id = h.assign('scratch', [note, 'abortable']);
    await eventually(() => h.read('scratch-cancel') !== '', 'the task made its scratch dir');
    const dir = h.read('scratch-cancel');
    expect(existsSync(dir)).toBe(true);
    h.coord.send(h.session, { $case: 'cancel', value: { attemptIds: [id] } });
    await eventually(() => !existsSync(dir), 'scratch dir removed after a cancel');
  });

  it('is kept when the task called keepScratch()', async () => {
    const { result, dir } = await run('keep');
    expect(result.outcome?.$case).toBe('value');
    // Give a removal every chance to happen: it must not.
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(dir)).toBe(true);
    expect(h.read('scratch-keep')).toBe(dir);
    await rm(dir, { recursive: true });
  });
});

describe('scratch directories when the agent stops with tasks running', () => {
  it('removes them', async () => {
    const h = await ServicesHarness.start();
    try {
      h.assign('scratch', [h.note('scratch-stop'), 'hang']);
      await eventually(() => h.read('scratch-stop') !== '', 'the task made its scratch dir');
      const dir = h.read('scratch-stop');
      await h.agent.stop();
      expect(existsSync(dir)).toBe(false);
    } finally {
      await h.stop();
    }
  });
});
