// SIGSTOP an agent (a hung node) past its lease, then SIGCONT: its work re-ran elsewhere and its late
// results were fenced, so the caller still sees every result exactly once.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type Pool } from '../../src/sdk/index.ts';
import { FaultCluster, multisetDiff } from './FaultCluster.ts';

type Tasks = typeof import('../fixtures/tasks.ts');

const cluster = new FaultCluster({ leaseMs: 1500, agentGraceMs: 200 });
let pool: Pool;

beforeAll(async () => {
  await cluster.startCoordinator();
  await Promise.all([cluster.startAgent(), cluster.startAgent()]);
  pool = await connect({ address: cluster.address });
});

afterAll(async () => {
  await pool?.close();
  await cluster.stop();
});

it('re-runs a hung agent’s work elsewhere and fences its late results', async () => {
  const tasks = await pool.load<Tasks>(new URL('../fixtures/tasks.ts', import.meta.url));
  const n = 600;
  const xs = Array.from({ length: n }, (_, i) => i);
  const hung = cluster.agents.get('agent-1')!;
  const got: { value: number; agent: string }[] = [];
  let stopped = false;
  const run = (async () => {
    for await (const r of pool.imapUnordered(tasks.whereAmISlow, xs, { chunksize: 1 })) {
      got.push({ value: r.x, agent: r.agent });
      if (!stopped && got.length === 50) {
        stopped = true;
        hung.kill('SIGSTOP');
        // Well past the 1.5 s lease: the coordinator must give its attempts to agent-2.
        setTimeout(() => hung.kill('SIGCONT'), 4000);
      }
    }
  })();
  await run;
  expect(stopped).toBe(true);
  expect(multisetDiff(got.map((g) => g.value), xs)).toEqual({ lost: [], duplicated: [] });
  // The hung agent comes back and serves again after SIGCONT (it was not killed).
  expect(hung.exitCode).toBe(null);
  const after = await pool.map(tasks.whereAmI, Array.from({ length: 40 }, (_, i) => i), { chunksize: 1 });
  expect(new Set(after.map((r) => r.agent))).toEqual(new Set(['agent-1', 'agent-2']));
}, 120_000);
