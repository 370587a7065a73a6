import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeValue } from '../../../src/protocol/index.ts';
import { PoolHarness } from './poolHarness.ts';

describe('the task context inside a worker', () => {
  let h: PoolHarness;
  beforeAll(async () => {
    h = await PoolHarness.start(2);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('shows the worker name, agent, attempt, task id and the index of each item', async () => {
    const id = h.submit('whoami', [[], [], []], { jobId: 'job-7', seq: 4, attempt: 3, firstIndex: 40 });
    const got = await h.value<Record<string, unknown>[]>(id);
    expect(got.map((c) => c.index)).toEqual([40, 41, 42]);
    for (const c of got) {
      expect(c).toMatchObject({ agent: 'test-agent', attempt: 3, jobId: 'job-7', seq: 4, taskId: 'job-7/4' });
      expect(c.worker).toMatch(/^worker-[12]$/);
    }
    expect(got[0].worker).toBe(h.settled.get(id)!.worker);
  });

  it('delivers progress, coalescing a tight loop, and the last value before the result', async () => {
    const id = h.submit('chatty', [[5000]]);
    expect(await h.value(id)).toEqual([5000]);
    const mine = h.progress.filter((p) => p.attemptId === id);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine.length).toBeLessThan(20);
    expect(decodeValue(mine[0].value)).toBe(0);
    expect(decodeValue(mine.at(-1)!.value)).toEqual({ done: 5000 });
    expect(mine[0].worker).toBe(h.settled.get(id)!.worker);
  });
});
