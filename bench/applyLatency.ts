// node bench/applyLatency.ts — P3 alone: sequential `apply` round trips through the real path (SDK →
// `drover local` → a worker process → back), with the CPU each process spends per call, for the
// latency work of issue 5. Env: APPLY_CALLS (default 2,000), BENCH_PROCESSES (default: cores).
// Profile with NODE_OPTIONS='--cpu-prof --cpu-prof-dir=DIR' (every process writes one on exit).
// Prints figures; asserts nothing.
import { cpus } from 'node:os';
import { connect } from '../src/sdk/index.ts';
import { childrenCpuSeconds, cpuSeconds } from './procStats.ts';
import { startDrover } from './startDrover.ts';

const calls = Number(process.env.APPLY_CALLS ?? 2_000);
const processes = Number(process.env.BENCH_PROCESSES ?? Math.max(1, cpus().length));

const local = await startDrover('local', ['--processes', String(processes)]);
try {
  const pool = await connect({ address: local.address });
  const tasks = await pool.load<typeof import('./tasks.ts')>(new URL('./tasks.ts', import.meta.url));
  for (let i = 0; i < 50; i++) await pool.apply(tasks.noop, i); // warm-up
  const sdk0 = process.cpuUsage();
  const local0 = cpuSeconds(local.pid);
  const workers0 = childrenCpuSeconds(local.pid);
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await pool.apply(tasks.noop, i);
    times.push(performance.now() - t0);
  }
  const sdk = process.cpuUsage(sdk0);
  const perCall = (seconds: number) => ((seconds * 1e6) / calls).toFixed(1).padStart(7);
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!.toFixed(3);
  console.log(`apply round trip — ${calls.toLocaleString('en')} sequential calls, ${processes} workers`);
  const mean = (times.reduce((a, b) => a + b, 0) / times.length).toFixed(3);
  console.log(`  latency               p50 ${pct(50)} ms  p90 ${pct(90)} ms  p99 ${pct(99)} ms  mean ${mean} ms`);
  console.log(`  SDK process           ${perCall((sdk.user + sdk.system) / 1e6)} µs/call`);
  console.log(`  drover local          ${perCall(cpuSeconds(local.pid) - local0)} µs/call  (coordinator + agent)`);
  console.log(`  worker processes      ${perCall(childrenCpuSeconds(local.pid) - workers0)} µs/call`);
  await pool.close();
} finally {
  await local.stop();
}
