// P1: 20k no-op tasks, one task per item (chunksize 1): per-task overhead of the whole path.
import type { BenchContext } from '../BenchContext.ts';
import { scaled } from '../BenchConfig.ts';
import { int, ratio } from '../format.ts';
import { measuredNote } from '../measuredNote.ts';
import { noopRates } from '../measureDrover.ts';
import { peerFigure } from '../peerFigure.ts';
import { median } from '../stats.ts';
import type { Table } from '../Table.ts';

export async function p1NoopTasks(ctx: BenchContext): Promise<Table> {
  const { config } = ctx;
  const n = scaled(20_000, config, 100);
  // Dask runs ~1 ms per task here: 20k would take ~30 s per repetition, so it gets a tenth.
  const daskN = scaled(2_000, config, 100);
  const drover = median(await noopRates(ctx.pool, ctx.tasks, n, config.reps, 1));
  const params = { processes: config.processes, reps: config.reps };
  const mp = await peerFigure<{ rates: number[] }>('mp', 'p1', { ...params, n }, (o) => median(o.rates));
  const dask = await peerFigure<{ rates: number[] }>('dask', 'p1', { ...params, n: daskN }, (o) => median(o.rates), ctx.daskSkipped);
  const piscina = await peerFigure<{ rates: number[] }>('piscina', 'p1', { ...params, n }, (o) => median(o.rates));
  return {
    id: 'P1',
    title: `P1 — ${int(n)} no-op tasks, one task per item`,
    note: `items/s, higher is better; median of ${config.reps} after a warm-up. drover: \`map(noop, xs, { chunksize: 1 })\`; mp: \`Pool.map(noop, range(n), chunksize=1)\`; Dask: \`client.gather(client.map(noop, range(n), pure=False))\` over ${int(daskN)} items (a rate, so comparable; the full size would take minutes); piscina (the local-JS view: worker threads in one process, no network, nothing durable): \`Promise.all(xs.map((x) => pool.run(x)))\` with ${config.processes} threads (bench/peers/piscinaPeer.ts).${measuredNote(mp, dask, piscina)}`,
    targets: [{ target: '≥ 1.0× multiprocessing.Pool (chunksize 1)', measured: ratio(drover, mp.value), met: drover >= mp.value }],
    header: ['', 'items/s', 'drover ÷ peer'],
    rows: [
      ['drover', int(drover), ''],
      ['multiprocessing.Pool', int(mp.value), ratio(drover, mp.value)],
      ['Dask LocalCluster', int(dask.value), ratio(drover, dask.value)],
      ['piscina (worker threads)', int(piscina.value), ratio(drover, piscina.value)],
    ],
  };
}
