// P7: does the coordinator keep its dispatch rate with 1,000 agents connected? Same job, same total
// slots (and so credit), spread over 2 fake agents vs 1,000; coordinator CPU and RSS from /proc. Run
// with the fakes granting what default agents grant at least (a task per slot prefetched), and again
// as agents with no prefetch, whose dispatch is bound by the round trip rather than the coordinator.
import type { BenchContext } from '../BenchContext.ts';
import { scaled } from '../BenchConfig.ts';
import { FakeAgentFleet } from '../FakeAgentFleet.ts';
import { fixed, int, ratio } from '../format.ts';
import { cpuSeconds, peakRssMb, rssMb } from '../procStats.ts';
import { runRawJob } from '../runRawJob.ts';
import { startDrover } from '../startDrover.ts';
import type { Table } from '../Table.ts';
import { median } from '../stats.ts';

/** Worker slots across the fleet, equal for both sizes so only the agent count differs. */
const TOTAL_SLOTS = 2000;

interface FleetRun {
  agents: number;
  slots: number;
  /** Credit each agent keeps granted: its slots plus its prefetch. */
  credit: number;
  rate: number;
  cpuPct: number;
  /** CPU of this process (the fake fleet and the raw client) over the job's wall time. */
  fleetCpuPct: number;
  idleMb: number;
  peakMb: number;
}

async function fleetRun(agents: number, tasks: number, reps: number, prefetch: 'default' | 'none'): Promise<FleetRun> {
  const slots = Math.max(1, Math.floor(TOTAL_SLOTS / agents));
  const perAgentPrefetch = prefetch === 'default' ? slots : 0;
  const coordinator = await startDrover('coordinator');
  const fleet = new FakeAgentFleet(coordinator.address, agents, slots, perAgentPrefetch);
  try {
    await fleet.registered();
    const idleMb = rssMb(coordinator.pid);
    await runRawJob(coordinator.address, Math.min(tasks, 5000)); // warm-up
    const rates: number[] = [];
    const cpus: number[] = [];
    const fleetCpus: number[] = [];
    for (let r = 0; r < reps; r++) {
      const cpu0 = cpuSeconds(coordinator.pid);
      const self0 = process.cpuUsage();
      const s = await runRawJob(coordinator.address, tasks);
      rates.push(tasks / s);
      cpus.push((100 * (cpuSeconds(coordinator.pid) - cpu0)) / s);
      const self = process.cpuUsage(self0);
      fleetCpus.push((self.user + self.system) / 1e4 / s);
    }
    return { agents, slots, credit: slots + perAgentPrefetch, rate: median(rates), cpuPct: median(cpus), fleetCpuPct: median(fleetCpus), idleMb, peakMb: peakRssMb(coordinator.pid) };
  } finally {
    fleet.close();
    await coordinator.stop();
  }
}

export async function p7ManyAgents(ctx: BenchContext): Promise<Table> {
  const tasks = scaled(100_000, ctx.config, 2000);
  const many = Number(process.env.BENCH_P7_AGENTS ?? 1000);
  const two = await fleetRun(2, tasks, ctx.config.reps, 'default');
  const lots = await fleetRun(many, tasks, ctx.config.reps, 'default');
  const twoBare = await fleetRun(2, tasks, ctx.config.reps, 'none');
  const lotsBare = await fleetRun(many, tasks, ctx.config.reps, 'none');
  const row = (r: FleetRun, prefetch: string, vs: string) => [
    `${int(r.agents)} agents × ${int(r.slots)} slots`, prefetch, int(r.credit), int(r.rate), vs,
    `${fixed(r.cpuPct, 0)} %`, `${fixed(r.fleetCpuPct, 0)} %`, fixed(r.idleMb, 0), fixed(r.peakMb, 0),
  ];
  return {
    id: 'P7',
    title: `P7 — dispatch with ${int(many)} simulated agents vs 2`,
    note: `drover only. \`drover coordinator --data\` (a fresh one per fleet) with in-process fake agents on the real Agents protocol over gRPC (bench/FakeAgentFleet.ts; 100 agents per connection) that answer each assignment at once with a CBOR-encoded result. The client speaks the raw Jobs protocol (bench/runRawJob.ts): ${int(tasks)} one-item tasks, 1,000 per message, window 20,000. ${int(TOTAL_SLOTS)} worker slots in both fleets (2 × ${int(two.slots)} vs ${int(many)} × ${int(lots.slots)}), so only the number of agents differs. Each fake keeps granted the credit a real agent with its slots would: a task per slot running plus its prefetch (src/agent/Agent.ts), which for a default agent is at least one more task per slot (it grows to 128 per slot while tasks are as tiny as these, so real agents would hold more); the target is judged on these rows. The last two rows are agents configured with no prefetch (\`prefetch: 0\`), where each agent's ${int(lotsBare.credit)} task(s) make a full round trip through the fleet's event loop and the coordinator's before more are assigned, so they measure that round trip as much as the coordinator. Median of ${ctx.config.reps} after a warm-up. CPU is the coordinator process's user+system time over the job's wall time (100 % = one core); fleet CPU the same for the harness's process, which runs every fake and the client in one event loop. The fakes share the machine's 2 cores with the coordinator.`,
    targets: [{ target: '≥ 0.5× the 2-agent dispatch rate', measured: ratio(lots.rate, two.rate), met: lots.rate >= 0.5 * two.rate }],
    header: ['fleet', 'prefetch', 'credit per agent', 'tasks/s', '÷ 2-agent rate', 'coordinator CPU', 'fleet + client CPU', 'coordinator RSS idle (MiB)', 'coordinator peak RSS (MiB)'],
    rows: [
      row(two, 'default (1 per slot)', ''),
      row(lots, 'default (1 per slot)', ratio(lots.rate, two.rate)),
      row(twoBare, 'none', ''),
      row(lotsBare, 'none', ratio(lotsBare.rate, twoBare.rate)),
    ],
  };
}
