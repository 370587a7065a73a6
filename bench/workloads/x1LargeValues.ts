// X1 (informational, not in issue 5's table): large values each way — a MiB per task, and 64 KiB values
// in `map`'s default chunks of several MiB. Every input and result goes through the coordinator's durable
// store, so this shows what that costs against a pool that keeps nothing; docs/concepts.md points large
// data at files in the blob store instead.
import type { BenchContext } from '../BenchContext.ts';
import { scaled } from '../BenchConfig.ts';
import { fixed, ratio } from '../format.ts';
import { measuredNote } from '../measuredNote.ts';
import { peerFigure, type PeerFigure } from '../peerFigure.ts';
import { median } from '../stats.ts';
import type { Table } from '../Table.ts';

/** The two shapes measured: a MiB per task, and values of 64 KiB in `map`'s default chunks (several MiB a task). */
const SHAPES = [
  { label: 'values of 1 MiB, one per task', n: 100, minN: 4, size: 1024 * 1024, chunksize: 1 },
  { label: "values of 64 KiB, `map`'s default chunks", n: 2000, minN: 40, size: 64 * 1024, chunksize: 0 },
] as const;

export async function x1LargeValues(ctx: BenchContext): Promise<Table> {
  const { config, pool, tasks } = ctx;
  // ~2 s a repetition for drover here: three are enough for a median of an informational figure.
  const reps = Math.min(config.reps, 3);
  const rows: string[][] = [];
  const peers: PeerFigure[] = [];
  for (const shape of SHAPES) {
    const n = scaled(shape.n, config, shape.minN);
    const items = Array.from({ length: n }, (_, i) => new Uint8Array(shape.size).fill(i % 256));
    const options = shape.chunksize > 0 ? { chunksize: shape.chunksize } : {};
    const walls: number[] = [];
    for (let r = 0; r <= reps; r++) {
      const t0 = performance.now();
      const out = (await pool.map(tasks.noop, items, options)) as Uint8Array[];
      if (r > 0) walls.push((performance.now() - t0) / 1000);
      if (!out.every((o, i) => o.byteLength === shape.size && o[shape.size - 1] === i % 256)) throw new Error('drover echoed a value wrongly');
    }
    const mp = await peerFigure<{ walls: number[] }>('mp', 'x1', { processes: config.processes, n, size: shape.size, chunksize: shape.chunksize, reps }, (o) => median(o.walls));
    peers.push(mp);
    const mibPerS = (seconds: number) => (2 * n * shape.size) / 2 ** 20 / seconds;
    const drover = mibPerS(median(walls));
    const mpRate = mibPerS(mp.value);
    rows.push([`${n.toLocaleString('en')} ${shape.label}`, fixed(drover, 0), fixed(mpRate, 0), ratio(drover, mpRate)]);
  }
  return {
    id: 'X1',
    title: 'X1 — large values echoed back (informational)',
    note: `Not one of issue 5's workloads: what large values cost. MiB/s moved (in and out), higher is better; median of ${reps} after one warm-up run. drover: \`map(noop, items, options)\` over \`Uint8Array\`s; mp: \`Pool.map(noop, items, chunksize)\` over \`bytes\`, with the same chunking (the default chunks are Python's rule in both: ${config.processes} processes × 4 chunks). drover writes every input and every result to the coordinator's store (SQLite, WAL) before it moves on, and copies each value at every hop; mp pickles through pipes and keeps nothing. For data this size per item, send a file instead (\`pool.uploadFile\` → \`context.fetchBlob\`, docs/concepts.md). No Dask column: its figure would add a minute and no target hangs on it.${peers.map((mp) => measuredNote(mp, undefined)).join('')}`,
    targets: [],
    header: ['', 'drover MiB/s', 'multiprocessing.Pool MiB/s', 'drover ÷ mp'],
    rows,
  };
}
