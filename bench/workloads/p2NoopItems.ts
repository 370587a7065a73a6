// P2: 1M no-op items with each system's default chunking: bulk throughput.
import type { BenchContext } from '../BenchContext.ts';
import { scaled } from '../BenchConfig.ts';
import { int, ratio } from '../format.ts';
import { measuredNote } from '../measuredNote.ts';
import { pairedRates } from '../pairedRates.ts';
import { peerFigure } from '../peerFigure.ts';
import { median } from '../stats.ts';
import type { Table } from '../Table.ts';
import { WARM_UP_RUNS } from '../WARM_UP_RUNS.ts';

export async function p2NoopItems(ctx: BenchContext): Promise<Table> {
  const { config } = ctx;
  const n = scaled(1_000_000, config, 1000);
  // drover's runs alternate with mp's, whose ratio is the target (bench/pairedRates.ts says why).
  const paired = await pairedRates(ctx.pool, ctx.tasks, 'p2', n, { reps: config.reps, warmUps: WARM_UP_RUNS, processes: config.processes });
  const drover = median(paired.drover);
  const mp = paired.mp;
  // dask.bag manages ~15k items/s here: 1M would take over a minute per repetition, so a tenth.
  const daskN = scaled(100_000, config, 1000);
  const params = { processes: config.processes, reps: config.reps, warmUps: WARM_UP_RUNS };
  const dask = await peerFigure<{ rates: number[] }>('dask', 'p2', { ...params, n: daskN }, (o) => median(o.rates), ctx.daskSkipped);
  const piscina = await peerFigure<{ rates: number[] }>('piscina', 'p2', { ...params, n }, (o) => median(o.rates));
  return {
    id: 'P2',
    title: `P2 — ${int(n)} no-op items, default chunking`,
    note: `items/s, higher is better; median of ${config.reps} after ${WARM_UP_RUNS} full-size warm-up runs for every system (bench/WARM_UP_RUNS.ts). drover's and mp's runs alternate, one map each in turn, and the mp ratio is the median of the pairs' ratios (bench/pairedRates.ts). drover: \`map(noop, xs)\` (Python's rule, ceil(len / (4 × slots)) items per task); mp: \`Pool.map(noop, range(n))\` (the same rule); Dask: \`dask.bag.from_sequence(range(n)).map(noop).compute()\` (the bag's default partitioning) over ${int(daskN)} items (a rate, so comparable; the full size would take minutes); piscina (the local-JS view): chunks by the same rule, one \`pool.run\` per chunk, with ${config.processes} threads (bench/peers/piscinaPeer.ts).${measuredNote(mp, dask, piscina)}`,
    targets: [{ target: '≥ 0.5× multiprocessing.Pool (default chunking)', measured: ratio(paired.ratio, 1), met: paired.ratio >= 0.5 }],
    header: ['', 'items/s', 'drover ÷ peer'],
    rows: [
      ['drover', int(drover), ''],
      ['multiprocessing.Pool', int(mp.value), ratio(paired.ratio, 1)],
      ['Dask (dask.bag)', int(dask.value), ratio(drover, dask.value)],
      ['piscina (worker threads)', int(piscina.value), ratio(drover, piscina.value)],
    ],
  };
}
