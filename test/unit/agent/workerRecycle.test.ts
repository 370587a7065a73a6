import { afterEach, describe, expect, it } from 'vitest';
import { PoolHarness } from './poolHarness.ts';

/** How many tasks each worker process ran, in the order the processes appeared. */
function runsPerPid(pids: number[]): number[] {
  const counts = new Map<number, number>();
  for (const p of pids) counts.set(p, (counts.get(p) ?? 0) + 1);
  return [...counts.values()];
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('WorkerPool recycles workers', () => {
  let h: PoolHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('maxTasksPerWorker: a worker is replaced after N tasks, same name, new pid', async () => {
    h = await PoolHarness.start(1, [], { maxTasksPerWorker: 3 });
    const seen: { pid: number; worker: string }[] = [];
    for (let i = 0; i < 7; i++) seen.push((await h.value<{ pid: number; worker: string }[]>(h.submit('whoami', [[]])))[0]);
    expect(seen.every((s) => s.worker === 'worker-1')).toBe(true);
    expect(runsPerPid(seen.map((s) => s.pid))).toEqual([3, 3, 1]);
    await until(() => h!.pool.ready === 1);
  });

  it('maxTasksPerWorker holds when tiny tasks are sent ahead to busy workers, and no task fails', async () => {
    h = await PoolHarness.start(2, [], { maxTasksPerWorker: 5 });
    // Teach the pool that tasks are tiny, so it pipelines: several tasks travel to a worker at once.
    for (let i = 0; i < 10; i++) await h.value(h.submit('square', [[1]]));
    const ids = Array.from({ length: 60 }, () => h!.submit('pid', [[]]));
    const pids = (await Promise.all(ids.map((id) => h!.value<number[]>(id)))).map((v) => v[0]);
    const counts = runsPerPid(pids);
    expect(Math.max(...counts)).toBeLessThanOrEqual(5);
    // 70 tasks, at most 5 per process: at least 14 processes took part.
    expect(counts.length).toBeGreaterThanOrEqual(12);
    await until(() => h!.pool.ready === 2);
  });

  it('maxWorkerRssMb: a worker past the ceiling after a task is replaced; one below it is kept', async () => {
    h = await PoolHarness.start(1, [], { maxWorkerRssMb: 150 });
    const a = (await h.value<number[]>(h.submit('bloat', [[1]])))[0];
    const b = (await h.value<number[]>(h.submit('pid', [[]])))[0];
    expect(b).toBe(a);
    const c = (await h.value<number[]>(h.submit('bloat', [[200]])))[0];
    expect(c).toBe(a);
    const d = (await h.value<number[]>(h.submit('pid', [[]])))[0];
    expect(d).not.toBe(a);
    const e = (await h.value<{ worker: string }[]>(h.submit('whoami', [[]])))[0];
    expect(e.worker).toBe('worker-1');
    await until(() => h!.pool.ready === 1);
  });

  it('maxWorkerRssMb: tasks already sent ahead to the bloated worker run on its replacement instead', async () => {
    h = await PoolHarness.start(1, [], { maxWorkerRssMb: 150 });
    for (let i = 0; i < 10; i++) await h.value(h.submit('square', [[1]]));
    // Submitted together: the pid tasks travel to the worker behind the bloating one.
    const bloated = h.submit('bloat', [[200]]);
    const after = Array.from({ length: 8 }, () => h!.submit('pid', [[]]));
    const bloatedPid = (await h.value<number[]>(bloated))[0];
    const pids = (await Promise.all(after.map((id) => h!.value<number[]>(id)))).map((v) => v[0]);
    expect(pids).not.toContain(bloatedPid);
    expect(new Set(pids).size).toBe(1);
  });
});
