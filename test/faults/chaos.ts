// npm run chaos — a long fault run: for CHAOS_SECONDS (default 180) a job streams tasks while agents
// are killed (-9), hung (SIGSTOP/SIGCONT) and the coordinator is killed (-9) and restarted at random.
// Prints what happened and whether any result was lost or duplicated; exits 1 if so.
import { connect } from '../../src/sdk/index.ts';
import { FaultCluster, multisetDiff } from './FaultCluster.ts';

type Tasks = typeof import('../fixtures/tasks.ts');

const seconds = Number(process.env.CHAOS_SECONDS ?? 180);
const agents = Number(process.env.CHAOS_AGENTS ?? 3);
const cluster = new FaultCluster({ leaseMs: 2000, agentGraceMs: 500 });
const counts = { agentKills: 0, agentHangs: 0, coordinatorKills: 0 };
const started = Date.now();

await cluster.startCoordinator();
for (let i = 0; i < agents; i++) await cluster.startAgent();
const pool = await connect({ address: cluster.address, reconnectTimeoutMs: 120_000 });
const tasks = await pool.load<Tasks>(new URL('../fixtures/tasks.ts', import.meta.url));

let stop = false;
const chaos = (async () => {
  while (!stop) {
    await new Promise((r) => setTimeout(r, 500 + Math.random() * 1500));
    if (stop) break;
    const roll = Math.random();
    const names = [...cluster.agents.keys()];
    const victim = names[Math.floor(Math.random() * names.length)];
    if (roll < 0.5 && victim) {
      await cluster.killAgent(victim);
      counts.agentKills++;
      await cluster.startAgent();
    } else if (roll < 0.8 && victim) {
      const child = cluster.agents.get(victim)!;
      child.kill('SIGSTOP');
      counts.agentHangs++;
      await new Promise((r) => setTimeout(r, 1000 + Math.random() * 3000));
      child.kill('SIGCONT');
    } else {
      await cluster.killCoordinator();
      counts.coordinatorKills++;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 500));
      await cluster.startCoordinator();
    }
  }
})();

// An endless lazily generated input; stop pulling once time is up.
let produced = 0;
function* inputs() {
  while (Date.now() - started < seconds * 1000) yield produced++;
}
const got: number[] = [];
for await (const v of pool.imapUnordered(tasks.slowDouble, inputs(), { chunksize: 1, retries: 50 })) got.push(v);
stop = true;
await chaos;
const expected = Array.from({ length: produced }, (_, i) => 2 * i);
const { lost, duplicated } = multisetDiff(got, expected);
const wall = (Date.now() - started) / 1000;
console.log(JSON.stringify({ seconds: wall, tasks: produced, results: got.length, lost: lost.length, duplicated: duplicated.length, ...counts }, null, 2));
await pool.close();
await cluster.stop();
process.exit(lost.length === 0 && duplicated.length === 0 && got.length === produced ? 0 : 1);
