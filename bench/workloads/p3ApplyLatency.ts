// P3: sequential `apply` round trips: the latency one small call pays.
import type { BenchContext } from '../BenchContext.ts';
import { scaled } from '../BenchConfig.ts';
import { fixed, int, ratio } from '../format.ts';
import { measuredNote } from '../measuredNote.ts';
import { applyRoundTrips } from '../measureDrover.ts';
import { peerFigure } from '../peerFigure.ts';
import { median, percentile } from '../stats.ts';
import type { Table } from '../Table.ts';
import { P3_WARM_UP_CALLS } from '../P3_WARM_UP_CALLS.ts';
import { WARM_UP_RUNS } from '../WARM_UP_RUNS.ts';

export async function p3ApplyLatency(ctx: BenchContext): Promise<Table> {
  const calls = scaled(300, ctx.config, 50);
  const rounds = ctx.config.reps;
  // WARM_UP_RUNS untimed rounds, `reps` early rounds (informational), then untimed calls up to
  // P3_WARM_UP_CALLS in all and the `reps` timed rounds; each figure is the median of the rounds'
  // percentiles (one round's p99 is its 3rd-slowest call: a single round swings by 2×).
  const shortWarmUp = calls * WARM_UP_RUNS;
  const totalWarmUp = scaled(P3_WARM_UP_CALLS, ctx.config, shortWarmUp);
  const early = await applyRoundTrips(ctx.pool, ctx.tasks, calls, rounds, shortWarmUp);
  // The early rounds' calls count towards the warm-up.
  const ms = await applyRoundTrips(ctx.pool, ctx.tasks, calls, rounds, Math.max(0, totalWarmUp - shortWarmUp - calls * rounds));
  const params = { processes: ctx.config.processes, calls, rounds, warmUpCalls: totalWarmUp };
  const medianOf = (runs: number[][], p: number) => median(runs.map((r) => percentile(r, p)));
  // One peer run gives both percentiles: pick p50 as the figure and keep p99 aside.
  const p99 = { mp: NaN, dask: NaN };
  const mp50 = await peerFigure<{ ms: number[][] }>('mp', 'p3', params, (o) => ((p99.mp = medianOf(o.ms, 99)), medianOf(o.ms, 50)));
  const dask50 = await peerFigure<{ ms: number[][] }>('dask', 'p3', { ...params, warmUpCalls: shortWarmUp }, (o) => ((p99.dask = medianOf(o.ms, 99)), medianOf(o.ms, 50)), ctx.daskSkipped);
  const e50 = medianOf(early, 50);
  const e99 = medianOf(early, 99);
  const d50 = medianOf(ms, 50);
  const d99 = medianOf(ms, 99);
  const spread = (p: number) => ms.map((r) => fixed(percentile(r, p), 2)).join(', ');
  return {
    id: 'P3',
    title: `P3 — ${calls} sequential \`apply\` round trips, ${rounds} rounds`,
    note: `milliseconds, lower is better: the median over ${rounds} rounds of ${calls} calls of each round's p50 and p99 (drover's rounds: p50 ${spread(50)}; p99 ${spread(99)}), after ${int(totalWarmUp)} untimed calls for drover and mp (bench/P3_WARM_UP_CALLS.ts says why: V8 compiles drover's one-call path for thousands of calls) and ${int(shortWarmUp)} for Dask (its calls take ~10 ms; nothing of it compiles). The early row is drover's ${rounds} rounds after only ${int(shortWarmUp)} untimed calls (${WARM_UP_RUNS} rounds), the same pool, before the rest of its warm-up (informational). Ratio is peer ÷ drover (> 1 means drover is faster). drover: \`await pool.apply(noop, i)\`; mp: \`pool.apply(noop, (i,))\`; Dask: \`client.submit(noop, i, pure=False).result()\`.${measuredNote(mp50, dask50)}`,
    targets: [
      { target: 'p50 ≤ 0.5 ms', measured: `${fixed(d50, 3)} ms`, met: d50 <= 0.5 },
      { target: 'p99 ≤ 2 ms', measured: `${fixed(d99, 3)} ms`, met: d99 <= 2 },
    ],
    header: ['', 'p50 ms', 'p99 ms', 'peer ÷ drover (p50)', 'peer ÷ drover (p99)'],
    rows: [
      ['drover', fixed(d50, 3), fixed(d99, 3), '', ''],
      [`drover, early (after ${int(shortWarmUp)} calls; informational)`, fixed(e50, 3), fixed(e99, 3), '', ''],
      ['multiprocessing.Pool', fixed(mp50.value, 3), fixed(p99.mp, 3), ratio(mp50.value, d50), ratio(p99.mp, d99)],
      ['Dask LocalCluster', fixed(dask50.value, 3), fixed(p99.dask, 3), ratio(dask50.value, d50), ratio(p99.dask, d99)],
    ],
  };
}
