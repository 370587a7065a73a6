// SIGSTOP an agent (a hung node) past its lease, then SIGCONT: its work re-ran elsewhere and its late
// results were fenced, so the caller still sees every result exactly once.
import { expect, it } from 'vitest';
import { multisetDiff, useFaultPool } from './FaultCluster.ts';

const env = useFaultPool({ leaseMs: 1500, agentGraceMs: 200 }, 2);
const { cluster } = env;

it('re-runs a hung agent’s work elsewhere and fences its late results', async () => {
  const { pool, tasks } = env;
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
