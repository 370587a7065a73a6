// Where the SDK's RSS goes during a long streamed job (P5's SDK side, in detail):
//   node bench/streamingMemorySampler.ts [ITEMS=10000000] [CHUNKSIZE=100] [EVERY_MS=2000]
// Starts `drover local --data` (coordinator and agent in a separate process), runs `imapUnordered(noop)`
// over lazily generated items, and prints process.memoryUsage() every EVERY_MS, then the V8 heap
// spaces and the RSS by mapping (node binary, malloc heap, anonymous mappings = mostly V8's heap).
// Try `node --max-semi-space-size=16 bench/streamingMemorySampler.ts` to see the young generation's part.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { getHeapSpaceStatistics } from 'node:v8';
import { connect } from '../src/sdk/index.ts';
import { startDrover } from './startDrover.ts';

const items = Number(process.argv[2] ?? 10_000_000);
const chunksize = Number(process.argv[3] ?? 100);
const everyMs = Number(process.argv[4] ?? 2000);
const mib = (bytes: number) => (bytes / 1048576).toFixed(0);

/** RSS by mapping: file-backed by file name, the malloc heap, and anonymous mappings. */
function rssByMapping(): string {
  const byName = new Map<string, number>();
  let name = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      const path = line.trim().split(/\s+/)[5];
      name = path ? path.split('/').pop()! : 'anonymous';
    } else if (line.startsWith('Rss:')) {
      byName.set(name, (byName.get(name) ?? 0) + Number(line.split(/\s+/)[1]) * 1024);
    }
  }
  return [...byName].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([n, b]) => `${n} ${mib(b)}`).join(', ');
}

function sample(received: number, t0: number): void {
  const m = process.memoryUsage();
  const hwm = Number(readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+)/)![1]) * 1024;
  // The young generation's size shows when V8 grows it (a step, e.g. 16 → 32 MiB, once enough has
  // survived its collections); old space used shows what was promoted and awaits a full collection.
  const spaces = getHeapSpaceStatistics();
  const space = (name: string) => spaces.find((s) => s.space_name === name);
  console.log(
    `${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s  items ${String(received).padStart(9)}  rss ${mib(m.rss)}  peak ${mib(hwm)}  ` +
      `heapTotal ${mib(m.heapTotal)}  heapUsed ${mib(m.heapUsed)}  new_space ${mib(space('new_space')?.space_size ?? 0)}  ` +
      `old_space used ${mib(space('old_space')?.space_used_size ?? 0)}  external ${mib(m.external)}  arrayBuffers ${mib(m.arrayBuffers)} (MiB)`,
  );
}

function* lazyItems(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

// `drover local` with a durable data dir, as P5 runs it; it hands the SDK its token through DROVER_TOKEN_FILE.
const local = await startDrover('local', ['--processes', String(cpus().length)]);
try {
  const address = local.address;
  const pool = await connect({ address });
  const tasks = await pool.load<typeof import('./tasks.ts')>(new URL('./tasks.ts', import.meta.url));
  console.log(`before the job — RSS by mapping (MiB): ${rssByMapping()}`);
  let received = 0;
  const t0 = performance.now();
  sample(received, t0);
  const timer = setInterval(() => sample(received, t0), everyMs);
  for await (const _ of pool.imapUnordered(tasks.noop, lazyItems(items), { chunksize })) received++;
  clearInterval(timer);
  sample(received, t0);
  console.log(`V8 spaces (MiB size/used): ${getHeapSpaceStatistics().filter((s) => s.space_size > 0).map((s) => `${s.space_name} ${mib(s.space_size)}/${mib(s.space_used_size)}`).join(', ')}`);
  console.log(`after the job — RSS by mapping (MiB): ${rssByMapping()}`);
  await pool.close();
} finally {
  await local.stop();
}
