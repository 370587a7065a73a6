// P3: sequential `apply` round trips: the latency one small call pays.
import type { BenchContext } from '../BenchContext.ts';
import { scaled } from '../BenchConfig.ts';
import { fixed, ratio } from '../format.ts';
import { measuredNote } from '../measuredNote.ts';
import { applyRoundTrips } from '../measureDrover.ts';
import { peerFigure } from '../peerFigure.ts';
import { median, percentile } from '../stats.ts';
import type { Table } from '../Table.ts';
import { WARM_UP_RUNS } from '../WARM_UP_RUNS.ts';

export async function p3ApplyLatency(ctx: BenchContext): Promise<Table> {
  const calls = scaled(300, ctx.config, 50);
  const rounds = ctx.config.reps;
  // WARM_UP_RUNS untimed rounds first (as P1's and P2's full-size warm-up runs), then `reps` timed
  // rounds; each figure is the median of the rounds' percentiles (one round's p99 is its 3rd-slowest
  // call: a single round swings by 2×).
  const warmUpCalls = calls * WARM_UP_RUNS;
  const ms = await applyRoundTrips(ctx.pool, ctx.tasks, calls, rounds, warmUpCalls);
  const params = { processes: ctx.config.processes, calls, rounds, warmUpCalls };
  const medianOf = (runs: number[][], p: number) => median(runs.map((r) => percentile(r, p)));
  // One peer run gives both percentiles: pick p50 as the figure and keep p99 aside.
  const p99 = { mp: NaN, dask: NaN };
  const mp50 = await peerFigure<{ ms: number[][] }>('mp', 'p3', params, (o) => ((p99.mp = medianOf(o.ms, 99)), medianOf(o.ms, 50)));
  const dask50 = await peerFigure<{ ms: number[][] }>('dask', 'p3', params, (o) => ((p99.dask = medianOf(o.ms, 99)), medianOf(o.ms, 50)), ctx.daskSkipped);
  const d50 = medianOf(ms, 50);
  const d99 = medianOf(ms, 99);
  const spread = (p: number) => ms.map((r) => fixed(percentile(r, p), 2)).join(', ');
  return {
    id: 'P3',
    title: `P3 — ${calls} sequential \`apply\` round trips, ${rounds} rounds`,
    note: `milliseconds, lower is better: the median over ${rounds} rounds of ${calls} calls of each round's p50 and p99 (drover's rounds: p50 ${spread(50)}; p99 ${spread(99)}), after ${WARM_UP_RUNS} untimed rounds, the same for every system (bench/WARM_UP_RUNS.ts). Ratio is peer ÷ drover (> 1 means drover is faster). drover: \`await pool.apply(noop, i)\`; mp: \`pool.apply(noop, (i,))\`; Dask: \`client.submit(noop, i, pure=False).result()\`.${measuredNote(mp50, dask50)}`,
    targets: [
      { target: 'p50 ≤ 0.5 ms', measured: `${fixed(d50, 3)} ms`, met: d50 <= 0.5 },
      { target: 'p99 ≤ 2 ms', measured: `${fixed(d99, 3)} ms`, met: d99 <= 2 },
    ],
    header: ['', 'p50 ms', 'p99 ms', 'peer ÷ drover (p50)', 'peer ÷ drover (p99)'],
    rows: [
      ['drover', fixed(d50, 3), fixed(d99, 3), '', ''],
      ['multiprocessing.Pool', fixed(mp50.value, 3), fixed(p99.mp, 3), ratio(mp50.value, d50), ratio(p99.mp, d99)],
      ['Dask LocalCluster', fixed(dask50.value, 3), fixed(p99.dask, 3), ratio(dask50.value, d50), ratio(p99.dask, d99)],
    ],
  };
}
