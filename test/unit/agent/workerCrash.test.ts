import { afterEach, describe, expect, it } from 'vitest';
import { PoolHarness } from './poolHarness.ts';

describe('WorkerPool replaces workers that die', () => {
  let h: PoolHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('fails a task whose worker exits with kind crashed, and runs the next on a replacement with the same name', async () => {
    h = await PoolHarness.start(1);
    const before = await h.value<{ pid: number; worker: string }[]>(h.submit('whoami', [[]]));
    const f = await h.failure(h.submit('exitWith', [[3]]));
    expect(f.kind).toBe('crashed');
    expect(f.exitCode).toBe(3);
    expect(f.signal).toBe('');
    expect(f.stderrTail).toContain('about to exit with 3');
    const after = await h.value<{ pid: number; worker: string }[]>(h.submit('whoami', [[]]));
    expect(after[0].worker).toBe('worker-1');
    expect(before[0].worker).toBe('worker-1');
    expect(after[0].pid).not.toBe(before[0].pid);
  });

  it('re-runs elsewhere the tasks sent ahead to a worker that crashed', async () => {
    h = await PoolHarness.start(1);
    // Teach the pool that tasks are tiny, so it sends the next one ahead to the busy worker.
    await Promise.all(Array.from({ length: 20 }, () => h!.value(h!.submit('square', [[2]]))));
    const crash = h.submit('exitWith', [[4]]);
    const next = h.submit('square', [[9]]);
    expect((await h.failure(crash)).exitCode).toBe(4);
    expect(await h.value(next)).toEqual([81]);
  });

  it('reports kind oom when the worker runs out of JavaScript heap', async () => {
    h = await PoolHarness.start(1, ['--max-old-space-size=24']);
    const f = await h.failure(h.submit('hog', [[]]));
    expect(f.kind).toBe('oom');
    expect(f.stderrTail).toMatch(/heap/i);
    expect(await h.value(h.submit('square', [[3]]))).toEqual([9]);
  });
});
