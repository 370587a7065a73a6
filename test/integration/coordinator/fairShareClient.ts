// Client B of the fair-share test, run as its own OS process: `node fairShareClient.ts <address>`.
// Maps 10 short tasks and prints one JSON line: {"results": [...], "ms": <wall time of the map>}.
import { connect } from '../../../src/sdk/index.ts';

type Tasks = typeof import('../../fixtures/tasks.ts');

const address = process.argv[2];
if (!address) throw new Error('usage: fairShareClient.ts <coordinator address>');
const pool = await connect({ address });
try {
  const tasks = await pool.load<Tasks>(new URL('../../fixtures/tasks.ts', import.meta.url));
  process.stdout.write('ready\n');
  const started = performance.now();
  const results = await pool.map(tasks.square, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { chunksize: 1 });
  process.stdout.write(`${JSON.stringify({ results, ms: Math.round(performance.now() - started) })}\n`);
} finally {
  await pool.close();
}
