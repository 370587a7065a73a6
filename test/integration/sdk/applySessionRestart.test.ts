// apply sessions across coordinator crashes: kill -9 the coordinator while calls are in flight and
// restart it on the same data dir; every call gets exactly its own result.
import { expect, it } from 'vitest';
import { multisetDiff, useFaultPool } from '../../faults/FaultCluster.ts';

const env = useFaultPool({ leaseMs: 3000, agentGraceMs: 1000 }, 2);
const { cluster } = env;

async function restartCoordinator(): Promise<void> {
  await cluster.killCoordinator();
  await new Promise((r) => setTimeout(r, 200));
  await cluster.startCoordinator();
}

it('resolves every concurrent applyAsync exactly once across two kill -9s of the coordinator', async () => {
  const { pool, tasks } = env;
  const n = 1200;
  const handles = [];
  const values: number[] = [];
  let crash: Promise<void> = Promise.resolve();
  for (let i = 0; i < n; i++) {
    const h = pool.applyAsync(tasks.slowDouble, [i, 5]);
    handles.push(h);
    void h.get().then((v) => values.push(v));
    // Calls keep coming while the coordinator is down and while the session re-attaches.
    if (i === 300 || i === 800) crash = crash.then(restartCoordinator);
    if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
  }
  const results = await Promise.all(handles.map((h) => h.get()));
  await crash;
  expect(results).toEqual(Array.from({ length: n }, (_, i) => 2 * i));
  // Each handle's promise settled once: no value delivered twice to the callbacks.
  expect(multisetDiff(values, results)).toEqual({ lost: [], duplicated: [] });
}, 120_000);

it('a sequential apply loop carries on across a coordinator restart', async () => {
  const { pool, tasks } = env;
  const got: number[] = [];
  let crash: Promise<void> | undefined;
  for (let i = 0; i < 200; i++) {
    got.push(await pool.apply(tasks.slowDouble, i, 1));
    if (i === 50) crash = restartCoordinator();
  }
  await crash;
  expect(got).toEqual(Array.from({ length: 200 }, (_, i) => 2 * i));
}, 120_000);
