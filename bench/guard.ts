// npm run bench:guard — CI's regression guard: P1–P3 at small size through the real path, failing
// only on an order-of-magnitude collapse. The floors sit ~10× below what a 2-core CI machine
// measures, so a noisy runner never fails it; only a real regression does. Prints the figures.
import { connect } from '../src/sdk/index.ts';
import { benchConfig } from './BenchConfig.ts';
import { applyRoundTrips, noopRates } from './measureDrover.ts';
import { startDrover } from './startDrover.ts';
import { median, percentile } from './stats.ts';

const FLOORS = { p1ItemsPerS: 1_000, p2ItemsPerS: 20_000, p3P50Ms: 50 };

const config = benchConfig();
const local = await startDrover('local', ['--processes', String(config.processes)]);
const failures: string[] = [];
try {
  const pool = await connect({ address: local.address });
  const tasks = await pool.load<typeof import('./tasks.ts')>(new URL('./tasks.ts', import.meta.url));
  const p1 = median((await noopRates(pool, tasks, 2_000, 3, 1)).rates);
  const p2 = median((await noopRates(pool, tasks, 100_000, 3)).rates);
  const [ms] = await applyRoundTrips(pool, tasks, 100);
  const p50 = percentile(ms, 50);
  console.log(`P1 no-op, chunksize 1:     ${Math.round(p1).toLocaleString('en')} items/s (floor ${FLOORS.p1ItemsPerS.toLocaleString('en')})`);
  console.log(`P2 no-op, default chunks:  ${Math.round(p2).toLocaleString('en')} items/s (floor ${FLOORS.p2ItemsPerS.toLocaleString('en')})`);
  console.log(`P3 apply round trip:       p50 ${p50.toFixed(3)} ms, p99 ${percentile(ms, 99).toFixed(3)} ms (ceiling p50 ${FLOORS.p3P50Ms} ms)`);
  if (p1 < FLOORS.p1ItemsPerS) failures.push(`P1 ${Math.round(p1)} items/s < ${FLOORS.p1ItemsPerS}`);
  if (p2 < FLOORS.p2ItemsPerS) failures.push(`P2 ${Math.round(p2)} items/s < ${FLOORS.p2ItemsPerS}`);
  if (p50 > FLOORS.p3P50Ms) failures.push(`P3 p50 ${p50.toFixed(1)} ms > ${FLOORS.p3P50Ms} ms`);
  await pool.close();
} finally {
  await local.stop();
}
if (failures.length) {
  console.error(`bench:guard FAILED (order-of-magnitude collapse): ${failures.join('; ')}`);
  process.exit(1);
}
console.log('bench:guard ok');
