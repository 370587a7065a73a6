import { afterEach, describe, expect, it } from 'vitest';
import { PoolHarness } from './poolHarness.ts';

describe('WorkerPool timeouts and cancellation of running tasks', () => {
  let h: PoolHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('kills a task past its timeout with kind timeout and refills the slot', async () => {
    h = await PoolHarness.start(1);
    const started = performance.now();
    const f = await h.failure(h.submit('spin', [[]], { timeoutMs: 300 }));
    const took = performance.now() - started;
    expect(f.kind).toBe('timeout');
    expect(f.message).toContain('300 ms');
    expect(f.signal).toBe('SIGTERM');
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2000);
    expect(await h.value(h.submit('square', [[4]]))).toEqual([16]);
  });

  it('does not time out a task that finishes in time', async () => {
    h = await PoolHarness.start(1);
    expect(await h.value(h.submit('sleep', [[50]], { timeoutMs: 2000 }))).toEqual([undefined]);
  });

  it('aborts the signal of a cancelled running task, reports nothing, and keeps the worker', async () => {
    h = await PoolHarness.start(1);
    const first = await h.value<{ pid: number }[]>(h.submit('whoami', [[]]));
    const id = h.submit('untilAborted', [[]]);
    await new Promise((r) => setTimeout(r, 100));
    h.pool.cancel(id);
    const s = await h.result(id);
    expect(s.outcome).toBeUndefined();
    const again = await h.value<{ pid: number }[]>(h.submit('whoami', [[]]));
    expect(again[0].pid).toBe(first[0].pid);
  });

  it('kills the worker of a cancelled task that ignores its signal for a second', async () => {
    h = await PoolHarness.start(1);
    const first = await h.value<{ pid: number }[]>(h.submit('whoami', [[]]));
    const id = h.submit('spin', [[]]);
    await new Promise((r) => setTimeout(r, 100));
    const cancelledAt = performance.now();
    h.pool.cancel(id);
    const s = await h.result(id);
    expect(s.outcome).toBeUndefined();
    expect(performance.now() - cancelledAt).toBeGreaterThanOrEqual(950);
    const again = await h.value<{ pid: number; worker: string }[]>(h.submit('whoami', [[]]));
    expect(again[0].pid).not.toBe(first[0].pid);
    expect(again[0].worker).toBe('worker-1');
  });
});
