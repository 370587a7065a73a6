// kill -9 agents again and again during one job: the job completes with every result exactly once.
import { expect, it } from 'vitest';
import { multisetDiff, useFaultPool } from './FaultCluster.ts';

const env = useFaultPool({ leaseMs: 3000, agentGraceMs: 300 }, 3);
const { cluster } = env;

it('survives ten kill -9s of agents mid-job: no result lost, none duplicated', async () => {
  const { pool, tasks } = env;
  const n = 3000;
  const xs = Array.from({ length: n }, (_, i) => i);
  let kills = 0;
  let received = 0;
  const killer = (async () => {
    while (kills < 10) {
      await new Promise((r) => setTimeout(r, 250));
      // Kill whichever agent is oldest, and start a replacement so capacity stays.
      const [victim] = cluster.agents.keys();
      if (victim === undefined) continue;
      await cluster.killAgent(victim);
      kills++;
      await cluster.startAgent();
    }
  })();
  const got: number[] = [];
  for await (const v of pool.imapUnordered(tasks.slowDouble, xs, { chunksize: 1, retries: 20 })) {
    got.push(v);
    received++;
  }
  await killer;
  expect(kills).toBe(10);
  expect(received).toBe(n);
  expect(multisetDiff(got, xs.map((x) => 2 * x))).toEqual({ lost: [], duplicated: [] });
}, 120_000);
