// X1 (informational, not in issue 5's table): values of a MiB each way, one per task. Every input and
// result goes through the coordinator's durable store, so this shows what that costs against a pool
// that keeps nothing; docs/concepts.md points large data at files in the blob store instead.
import type { BenchContext } from '../BenchContext.ts';
import { scaled } from '../BenchConfig.ts';
import { fixed, ratio } from '../format.ts';
import { measuredNote } from '../measuredNote.ts';
import { peerFigure } from '../peerFigure.ts';
import { median } from '../stats.ts';
import type { Table } from '../Table.ts';

const SIZE = 1024 * 1024;

export async function x1LargeValues(ctx: BenchContext): Promise<Table> {
  const { config, pool, tasks } = ctx;
  const n = scaled(100, config, 4);
  // ~2 s a repetition for drover here: three are enough for a median of an informational figure.
  const reps = Math.min(config.reps, 3);
  const items = Array.from({ length: n }, (_, i) => new Uint8Array(SIZE).fill(i % 256));
  const walls: number[] = [];
  for (let r = 0; r <= reps; r++) {
    const t0 = performance.now();
    const out = (await pool.map(tasks.noop, items, { chunksize: 1 })) as Uint8Array[];
    if (r > 0) walls.push((performance.now() - t0) / 1000);
    if (!out.every((o, i) => o.byteLength === SIZE && o[SIZE - 1] === i % 256)) throw new Error('drover echoed a value wrongly');
  }
  const mp = await peerFigure<{ walls: number[] }>('mp', 'x1', { processes: config.processes, n, size: SIZE, reps }, (o) => median(o.walls));
  const mibPerS = (seconds: number) => (2 * n * SIZE) / 2 ** 20 / seconds;
  const drover = mibPerS(median(walls));
  const mpRate = mibPerS(mp.value);
  return {
    id: 'X1',
    title: `X1 — ${n} values of 1 MiB, one per task, echoed back (informational)`,
    note: `Not one of issue 5's workloads: what large values cost. MiB/s moved (in and out), higher is better; median of ${reps} after one warm-up run. drover: \`map(noop, items, { chunksize: 1 })\` over \`Uint8Array\`s; mp: \`Pool.map(noop, items, chunksize=1)\` over \`bytes\`. drover writes every input and every result to the coordinator's store (SQLite, WAL) before it moves on, and copies each value at every hop; mp pickles through pipes and keeps nothing. For data this size per item, send a file instead (\`pool.uploadFile\` → \`context.fetchBlob\`, docs/concepts.md). No Dask column: its figure would add a minute and no target hangs on it.${measuredNote(mp, undefined)}`,
    targets: [],
    header: ['', 'MiB/s', 'drover ÷ peer'],
    rows: [
      ['drover', fixed(drover, 0), ''],
      ['multiprocessing.Pool', fixed(mpRate, 0), ratio(drover, mpRate)],
    ],
  };
}
