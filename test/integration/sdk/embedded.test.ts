// connect() with no address: an embedded coordinator and agent, torn down by close().
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../../src/sdk/index.ts';

type Tasks = typeof import('../../fixtures/tasks.ts');

const saved = { DROVER_ADDRESS: process.env.DROVER_ADDRESS, DROVER_TOKEN_FILE: process.env.DROVER_TOKEN_FILE };
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

function workerPidsAlive(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

describe('embedded default', () => {
  it('runs tasks on worker processes of a local cluster sized by `processes`, and stops them on close', async () => {
    delete process.env.DROVER_ADDRESS;
    const pool = await connect({ processes: 2 });
    const tasks = await pool.load<Tasks>(new URL('../../fixtures/tasks.ts', import.meta.url));
    const out = await pool.map(tasks.whereAmI, Array.from({ length: 30 }, (_, i) => i), { chunksize: 1 });
    expect(out.map((r) => r.x)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(new Set(out.map((r) => r.worker))).toEqual(new Set(['worker-1', 'worker-2']));
    const pids = await pool.map(tasks.pid, [0, 1, 2, 3, 4, 5, 6, 7], { chunksize: 1 });
    expect(new Set(pids).size).toBe(2);
    expect(pids).not.toContain(process.pid);
    await pool.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(workerPidsAlive([...new Set(pids)])).toEqual([]);
  });

  it('supports `await using` and uploads the same module once', async () => {
    delete process.env.DROVER_ADDRESS;
    let pool;
    let add;
    {
      await using p = await connect({ processes: 1 });
      pool = p;
      const url = new URL('../../fixtures/tasks.ts', import.meta.url);
      const a = await p.load<Tasks>(url);
      const b = await p.load<Tasks>(url);
      add = a.add;
      expect(p.uploadCount).toBe(1);
      expect(await p.apply(a.add, 1, 2)).toBe(3);
      expect(await p.apply(b.add, 3, 4)).toBe(7);
    }
    // Leaving the block closed the pool.
    await expect(pool.apply(add, 1, 2)).rejects.toThrow(/closed/);
  });

  it('ignores a DROVER_TOKEN_FILE left from a `drover local` that is gone (the embedded cluster has its own token)', async () => {
    delete process.env.DROVER_ADDRESS;
    process.env.DROVER_TOKEN_FILE = '/nonexistent/drover-local-gone/token';
    await using pool = await connect({ processes: 1 });
    const tasks = await pool.load<Tasks>(new URL('../../fixtures/tasks.ts', import.meta.url));
    expect(await pool.apply(tasks.add, 1, 2)).toBe(3);
  });
});
