// P5's SDK process, run as its own child so its peak RSS (VmHWM) counts only this job:
// node bench/streamingClient.mjs ADDRESS ITEMS CHUNKSIZE [batches] → one JSON line on stdout. With
// `batches` it reads the results a task's worth at a time (`.batches()`), else one by one.
// Plain JavaScript importing the package (`drover` → dist/lib/sdk.mjs, see bench/ensureDist.ts), as a
// script using an installed drover runs: a TypeScript script would add Node's own type stripper (~30 MB
// of RSS), which is not the SDK's.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { connect } from 'drover';
import { ownPeakRssMb } from './ownPeakRssMb.mjs';

const [address, itemsArg, chunksizeArg, mode] = process.argv.slice(2);
const items = Number(itemsArg);
const chunksize = Number(chunksizeArg);

/** Items made on demand, so nothing but drover's own buffering can grow with the count. */
function* lazyItems(n) {
  for (let i = 0; i < n; i++) yield i;
}

const pool = await connect({ address });
// esbuild bundles the TypeScript task module; this process strips no types itself.
const tasks = await pool.load(new URL('./tasks.ts', import.meta.url));
const t0 = performance.now();
let received = 0;
const results = pool.imapUnordered(tasks.noop, lazyItems(items), { chunksize });
if (mode === 'batches') {
  for await (const batch of results.batches()) received += batch.length;
} else {
  for await (const _ of results) received++;
}
const seconds = (performance.now() - t0) / 1000;
await pool.close();
if (received !== items) throw new Error(`received ${received} results for ${items} items`);
const peak = ownPeakRssMb();
// What the process still holds once the job is over, after a full collection: anything drover kept
// per item or per task would show here, where the peak's run-to-run noise cannot hide it. The flag is
// set only now, after the measured stream, so that the run itself had none.
setFlagsFromString('--expose-gc');
runInNewContext('gc')();
// V8's heap only: Node's external-memory count (9–23 MiB here, not ArrayBuffers) stays up after the close, by different amounts from run to run.
console.log(JSON.stringify({ items, seconds, peakRssMb: peak, liveMb: process.memoryUsage().heapUsed / 1048576 }));
