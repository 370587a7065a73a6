// P3: sequential `apply` round trips: the latency one small call pays.
import type { BenchContext } from '../BenchContext.ts';
import { scaled } from '../BenchConfig.ts';
import { fixed, ratio } from '../format.ts';
import { measuredNote } from '../measuredNote.ts';
import { applyRoundTrips } from '../measureDrover.ts';
import { peerFigure } from '../peerFigure.ts';
import { percentile } from '../stats.ts';
import type { Table } from '../Table.ts';

export async function p3ApplyLatency(ctx: BenchContext): Promise<Table> {
  const calls = scaled(300, ctx.config, 50);
  const ms = await applyRoundTrips(ctx.pool, ctx.tasks, calls);
  const params = { processes: ctx.config.processes, calls };
  // One peer run gives both percentiles: pick p50 as the figure and keep p99 aside.
  const p99 = { mp: NaN, dask: NaN };
  const mp50 = await peerFigure<{ ms: number[] }>('mp', 'p3', params, (o) => ((p99.mp = percentile(o.ms, 99)), percentile(o.ms, 50)));
  const dask50 = await peerFigure<{ ms: number[] }>('dask', 'p3', params, (o) => ((p99.dask = percentile(o.ms, 99)), percentile(o.ms, 50)), ctx.daskSkipped);
  const d50 = percentile(ms, 50);
  const d99 = percentile(ms, 99);
  return {
    id: 'P3',
    title: `P3 — ${calls} sequential \`apply\` round trips`,
    note: `milliseconds, lower is better; after 20 warm-up calls. Ratio is peer ÷ drover (> 1 means drover is faster). drover: \`await pool.apply(noop, i)\`; mp: \`pool.apply(noop, (i,))\`; Dask: \`client.submit(noop, i, pure=False).result()\`.${measuredNote(mp50, dask50)}`,
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
