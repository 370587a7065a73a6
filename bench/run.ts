// npm run bench — every workload of issue 5 (P1–P8), and X1 (large values, informational), for drover and its peers in one run,
// written to docs/benchmarks.md. Env: BENCH_SCALE (sizes, default 1), BENCH_REPS (default 5),
// BENCH_PROCESSES (default: cores), BENCH_ONLY (e.g. "P1,P3"), BENCH_OUT (report path).
import { fileURLToPath } from 'node:url';
import { connect } from '../src/sdk/index.ts';
import type { BenchContext } from './BenchContext.ts';
import { benchConfig } from './BenchConfig.ts';
import { machineInfo } from './machineInfo.ts';
import { MachineSpeed } from './MachineSpeed.ts';
import { sourceVersion } from './sourceVersion.ts';
import { startDrover } from './startDrover.ts';
import type { Table } from './Table.ts';
import { p1NoopTasks } from './workloads/p1NoopTasks.ts';
import { p2NoopItems } from './workloads/p2NoopItems.ts';
import { p3ApplyLatency } from './workloads/p3ApplyLatency.ts';
import { p4Primes } from './workloads/p4Primes.ts';
import { p5StreamingMemory } from './workloads/p5StreamingMemory.ts';
import { p6QueuedBacklog } from './workloads/p6QueuedBacklog.ts';
import { p7ManyAgents } from './workloads/p7ManyAgents.ts';
import { p8SumoSweep } from './workloads/p8SumoSweep.ts';
import { x1LargeValues } from './workloads/x1LargeValues.ts';
import { writeReport } from './writeReport.ts';

const workloads: Record<string, (ctx: BenchContext) => Promise<Table>> = {
  P1: p1NoopTasks,
  P2: p2NoopItems,
  P3: p3ApplyLatency,
  P4: p4Primes,
  P5: p5StreamingMemory,
  P6: p6QueuedBacklog,
  P7: p7ManyAgents,
  P8: p8SumoSweep,
  X1: x1LargeValues,
};

const started = new Date();
// Read at the start: src/ may change under a long run, and drover processes load it when they start.
const version = sourceVersion();
const config = benchConfig();
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim().toUpperCase());
const machine = await machineInfo();
const daskSkipped = machine.distributed ? undefined : `python3-distributed is not importable (${machine.daskError}); install it with \`apt-get install -y python3-distributed\``;
if (daskSkipped) console.log(`Dask column skipped: ${daskSkipped}`);

const local = await startDrover('local', ['--processes', String(config.processes)]);
const pool = await connect({ address: local.address });
const tasks = await pool.load<typeof import('./tasks.ts')>(new URL('./tasks.ts', import.meta.url));
const ctx: BenchContext = { config, pool, tasks, local, daskSkipped };

const tables: Table[] = [];
const speed = new MachineSpeed();
try {
  for (const [id, run] of Object.entries(workloads)) {
    if (only && !only.includes(id)) continue;
    speed.sample();
    const t0 = performance.now();
    console.log(`${id} …`);
    const table = await run(ctx);
    tables.push(table);
    console.log(`${table.title} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    for (const row of table.rows) console.log(`  ${row.join('  ')}`);
  }
  speed.sample();
} finally {
  await pool.close();
  await local.stop();
}
console.log(`machine speed probe: ${speed.describe()}`);

const out = process.env.BENCH_OUT ?? fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
writeReport(out, tables, machine, config, started, (Date.now() - started.getTime()) / 1000, version, speed.describe());
console.log(`wrote ${out}`);
