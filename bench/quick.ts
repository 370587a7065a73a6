// npm run bench:quick — drover's own overhead through the real path (SDK → coordinator →
// agent → worker processes → back), with the coordinator and agent in a separate process
// (`drover local`). Prints figures; asserts nothing. Sizes: BENCH_SCALE=0.1 for a smoke run.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect } from '../src/sdk/index.ts';

const scale = Number(process.env.BENCH_SCALE ?? 1);
const processes = Number(process.env.BENCH_PROCESSES ?? Math.max(1, cpus().length));

const local = spawn(process.execPath, [fileURLToPath(new URL('../bin/drover.js', import.meta.url)), 'local', '--listen', '127.0.0.1:0', '--processes', String(processes)], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, DROVER_LOG_LEVEL: 'warn' },
});
const address = await new Promise<string>((resolve, reject) => {
  createInterface({ input: local.stdout! }).on('line', (line) => {
    // `drover local` takes only the client token it wrote to this file (the SDK reads DROVER_TOKEN_FILE).
    const tokenFile = line.match(/DROVER_TOKEN_FILE=(\S+)/);
    if (tokenFile) process.env.DROVER_TOKEN_FILE = tokenFile[1]!;
    const m = line.match(/listening on (\S+)/);
    if (m) resolve(m[1]!);
  });
  local.once('exit', (code) => reject(new Error(`drover local exited with ${code}`)));
});

const pool = await connect({ address });
const tasks = await pool.load<typeof import('./tasks.ts')>(new URL('./tasks.ts', import.meta.url));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function rate(label: string, n: number, run: (xs: number[]) => Promise<unknown>): Promise<void> {
  const xs = range(n);
  await run(range(Math.min(n, 2000))); // warm-up
  const t0 = performance.now();
  await run(xs);
  const s = (performance.now() - t0) / 1000;
  console.log(`${label.padEnd(44)} ${Math.round(n / s).toLocaleString('en').padStart(12)} items/s  (${n.toLocaleString('en')} in ${s.toFixed(2)} s)`);
}

console.log(`drover bench:quick — ${processes} worker processes, ${cpus().length} cores, node ${process.version}`);
await rate('no-op, one task per item (chunksize 1)', Math.round(20_000 * scale), (xs) => pool.map(tasks.noop, xs, { chunksize: 1 }));
await rate('no-op, default chunking (map of an array)', Math.round(1_000_000 * scale), (xs) => pool.map(tasks.noop, xs));

const calls = Math.max(20, Math.round(300 * scale));
for (let i = 0; i < 20; i++) await pool.apply(tasks.noop, i); // warm-up
const times: number[] = [];
for (let i = 0; i < calls; i++) {
  const t0 = performance.now();
  await pool.apply(tasks.noop, i);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
console.log(`${'apply round trip, sequential'.padEnd(44)} p50 ${pct(50).toFixed(3)} ms  p99 ${pct(99).toFixed(3)} ms  (${calls} calls)`);

await pool.close();
local.kill('SIGTERM');
await once(local, 'exit');
