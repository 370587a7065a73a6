// piscina (worker threads) for the local-JS view of P1, P2 and P4, run by bench/runPeer.ts in its own
// process so that nothing of the harness shares its event loop.
//
// Usage: node piscinaPeer.ts WORKLOAD JSON-PARAMS  ->  one JSON object on stdout, shaped like
// bench/peers/peers.py's answers (raw repetitions; the harness takes the medians).
import { Piscina } from 'piscina';
import { pairedPrimes, type PairedPrimes } from '../pairedPrimes.ts';
import { primeRanges } from '../primeRanges.ts';
import { P4_WARM_UP_MAPS } from '../P4_WARM_UP_MAPS.ts';

interface Params {
  processes: number;
  reps: number;
  n?: number;
  /** Full-size runs before the timed ones (bench/WARM_UP_RUNS.ts). */
  warmUps?: number;
  limit?: number;
  parts?: number;
}

const [workload, json] = process.argv.slice(2);
const params = JSON.parse(json ?? '{}') as Params;
const threads = params.processes;
const pool = new Piscina({ filename: new URL('./piscinaTasks.ts', import.meta.url).href, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** n one-item tasks (P1), or chunks by Pool.map's rule, ceil(n / (4 × threads)) items each (P2). */
async function noops(n: number, chunked: boolean): Promise<void> {
  const xs = range(n);
  if (!chunked) {
    await Promise.all(xs.map((x) => pool.run(x, { name: 'noop' })));
    return;
  }
  const size = Math.ceil(n / (4 * threads));
  const chunks: Promise<unknown[]>[] = [];
  for (let i = 0; i < n; i += size) chunks.push(pool.run(xs.slice(i, i + size), { name: 'noopChunk' }) as Promise<unknown[]>);
  const out = (await Promise.all(chunks)).flat();
  if (out.length !== n) throw new Error(`piscina returned ${out.length} results for ${n} items`);
}

async function rates(n: number, chunked: boolean): Promise<number[]> {
  await noops(Math.min(n, 2000), chunked); // warm-up
  for (let w = 0; w < (params.warmUps ?? 0); w++) await noops(n, chunked);
  const out: number[] = [];
  for (let r = 0; r < params.reps; r++) {
    const t0 = performance.now();
    await noops(n, chunked);
    out.push(n / ((performance.now() - t0) / 1000));
  }
  return out;
}

async function primes(): Promise<PairedPrimes> {
  const ranges = primeRanges(params.limit!, params.parts!);
  // Warm the threads and their JIT with as many whole runs as drover's (bench/P4_WARM_UP_MAPS.ts).
  for (let i = 0; i < P4_WARM_UP_MAPS; i++) await Promise.all(ranges.map((r) => pool.run(r, { name: 'countPrimes' })));
  return pairedPrimes(ranges, params.reps, async () => {
    const counts = (await Promise.all(ranges.map((range) => pool.run(range, { name: 'countPrimes' })))) as number[];
    return counts.reduce((a, b) => a + b, 0);
  });
}

try {
  let out: unknown;
  if (workload === 'p1') out = { rates: await rates(params.n!, false) };
  else if (workload === 'p2') out = { rates: await rates(params.n!, true) };
  else if (workload === 'p4') out = await primes();
  else throw new Error(`piscina: unknown workload ${workload}`);
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  await pool.destroy();
}
