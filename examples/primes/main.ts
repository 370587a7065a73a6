// Count the primes below N (default 10,000,000) across worker processes, streaming each
// range's count as it finishes. Runs on an embedded local cluster, or on the cluster at
// DROVER_ADDRESS.   npm run demo   |   node examples/primes/main.ts 1000000 64
import { connect } from 'drover';

const limit = Number(process.argv[2] ?? 10_000_000);
const parts = Number(process.argv[3] ?? 64);

const ranges: [number, number][] = [];
for (let i = 0; i < parts; i++) {
  ranges.push([Math.floor((limit * i) / parts), Math.floor((limit * (i + 1)) / parts)]);
}

const started = performance.now();
await using pool = await connect();
const tasks = await pool.load<typeof import('./tasks.ts')>(new URL('./tasks.ts', import.meta.url));

let total = 0;
let done = 0;
const workers = new Set<string>();
for await (const r of pool.imapUnordered(tasks.countPrimes, ranges)) {
  total += r.count;
  done++;
  workers.add(`${r.agent}/${r.worker}`);
  const range = `[${r.lo.toLocaleString('en')}, ${r.hi.toLocaleString('en')})`;
  console.log(`${String(done).padStart(3)}/${parts}  ${range.padEnd(28)} ${String(r.count).padStart(6)} primes  (${r.worker} on ${r.agent})`);
}
const seconds = ((performance.now() - started) / 1000).toFixed(2);
console.log(`\nprimes below ${limit.toLocaleString('en')}: ${total.toLocaleString('en')}  (${seconds} s on ${workers.size} worker processes)`);
