// P5's SDK process, run as its own child so its peak RSS (VmHWM) counts only this job:
// node bench/streamingClient.ts ADDRESS ITEMS CHUNKSIZE → one JSON line on stdout.
import { connect } from '../src/sdk/index.ts';
import { peakRssMb } from './procStats.ts';

const [address, itemsArg, chunksizeArg] = process.argv.slice(2);
const items = Number(itemsArg);
const chunksize = Number(chunksizeArg);

/** Items made on demand, so nothing but drover's own buffering can grow with the count. */
function* lazyItems(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

const pool = await connect({ address: address! });
const tasks = await pool.load<typeof import('./tasks.ts')>(new URL('./tasks.ts', import.meta.url));
const t0 = performance.now();
let received = 0;
for await (const _ of pool.imapUnordered(tasks.noop, lazyItems(items), { chunksize })) received++;
const seconds = (performance.now() - t0) / 1000;
await pool.close();
if (received !== items) throw new Error(`received ${received} results for ${items} items`);
console.log(JSON.stringify({ items, seconds, peakRssMb: peakRssMb('self') }));
