// node bench/cpuPerTask.ts — CPU microseconds per item (= per task at chunksize 1) in each process of the real path (SDK →
// `drover local` (coordinator + agent) → worker processes), for the tuning work of issue 5. CPU time,
// unlike a rate, holds up on a shared, noisy machine. Env: CPU_TASKS (default 20,000), CPU_CHUNKSIZE
// (default 1), CPU_REPS (default 3), BENCH_PROCESSES (default: cores). Prints figures; asserts nothing.
import { cpus } from 'node:os';
import { connect } from '../src/sdk/index.ts';
import { childrenCpuSeconds, cpuSeconds } from './procStats.ts';
import { median } from './stats.ts';
import { startDrover } from './startDrover.ts';

const n = Number(process.env.CPU_TASKS ?? 20_000);
const chunksize = Number(process.env.CPU_CHUNKSIZE ?? 1);
const reps = Number(process.env.CPU_REPS ?? 3);
const processes = Number(process.env.BENCH_PROCESSES ?? Math.max(1, cpus().length));

const local = await startDrover('local', ['--processes', String(processes)]);
try {
  const pool = await connect({ address: local.address });
  const tasks = await pool.load<typeof import('./tasks.ts')>(new URL('./tasks.ts', import.meta.url));
  const xs = Array.from({ length: n }, (_, i) => i);
  await pool.map(tasks.noop, xs.slice(0, Math.min(n, 2000)), { chunksize }); // warm-up
  const rows: { sdk: number; local: number; workers: number; rate: number }[] = [];
  for (let r = 0; r < reps; r++) {
    const sdk0 = process.cpuUsage();
    const local0 = cpuSeconds(local.pid);
    const workers0 = childrenCpuSeconds(local.pid);
    const t0 = performance.now();
    const out = await pool.map(tasks.noop, xs, { chunksize });
    const s = (performance.now() - t0) / 1000;
    if (out.length !== n) throw new Error(`map returned ${out.length} results for ${n} items`);
    const sdk = process.cpuUsage(sdk0);
    rows.push({
      sdk: (sdk.user + sdk.system) / n,
      local: ((cpuSeconds(local.pid) - local0) * 1e6) / n,
      workers: ((childrenCpuSeconds(local.pid) - workers0) * 1e6) / n,
      rate: n / s,
    });
  }
  const med = (f: (row: (typeof rows)[number]) => number) => median(rows.map(f));
  const fmt = (x: number) => x.toFixed(2).padStart(7);
  console.log(`cpu per task — ${n.toLocaleString('en')} no-op items, chunksize ${chunksize}, ${processes} workers, median of ${reps}`);
  console.log(`  SDK process           ${fmt(med((r) => r.sdk))} µs/item`);
  console.log(`  drover local          ${fmt(med((r) => r.local))} µs/item  (coordinator + agent)`);
  console.log(`  worker processes      ${fmt(med((r) => r.workers))} µs/item  (all workers together)`);
  console.log(`  total                 ${fmt(med((r) => r.sdk + r.local + r.workers))} µs/item`);
  console.log(`  rate                  ${Math.round(med((r) => r.rate)).toLocaleString('en')} items/s (noisy on a shared machine)`);
  await pool.close();
} finally {
  await local.stop();
}
