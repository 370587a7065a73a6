// P1: 20k no-op tasks, one task per item (chunksize 1): per-task overhead of the whole path.
import type { BenchContext } from '../BenchContext.ts';
import { scaled } from '../BenchConfig.ts';
import { int, ratio } from '../format.ts';
import { measuredNote } from '../measuredNote.ts';
import { noopRates } from '../measureDrover.ts';
import { pairedRates } from '../pairedRates.ts';
import { peerFigure } from '../peerFigure.ts';
import { startDrover } from '../startDrover.ts';
import { WARM_UP_RUNS } from '../WARM_UP_RUNS.ts';
import { median } from '../stats.ts';
import type { Table } from '../Table.ts';
import { connect } from '../../src/sdk/index.ts';

/**
 * The same figure on the cluster path: `drover coordinator` and `drover agent` as two processes, the agent's
 * session over gRPC on loopback (what every agent of a real cluster does; `drover local` keeps it in-process).
 */
async function overGrpcRate(ctx: BenchContext, n: number): Promise<number> {
  const coordinator = await startDrover('coordinator');
  const agent = await startDrover('agent', ['--coordinator', coordinator.address, '--processes', String(ctx.config.processes)]);
  const pool = await connect({ address: coordinator.address });
  try {
    const tasks = await pool.load<typeof import('../tasks.ts')>(new URL('../tasks.ts', import.meta.url));
    return median((await noopRates(pool, tasks, n, ctx.config.reps, 1, WARM_UP_RUNS)).rates);
  } finally {
    await pool.close();
    await agent.stop();
    await coordinator.stop();
  }
}

export async function p1NoopTasks(ctx: BenchContext): Promise<Table> {
  const { config } = ctx;
  const n = scaled(20_000, config, 100);
  // Dask runs ~1 ms per task here: 20k would take ~30 s per repetition, so it gets a tenth.
  const daskN = scaled(2_000, config, 100);
  // P1 runs first on the shared `drover local`: its first full run is the cold figure a fresh one gives.
  // drover's runs alternate with mp's, whose ratio is the target (bench/pairedRates.ts says why).
  const local = await pairedRates(ctx.pool, ctx.tasks, 'p1', n, { chunksize: 1, reps: config.reps, warmUps: WARM_UP_RUNS, processes: config.processes });
  const drover = median(local.drover);
  const mp = local.mp;
  const cluster = await overGrpcRate(ctx, n);
  const params = { processes: config.processes, reps: config.reps, warmUps: WARM_UP_RUNS };
  const dask = await peerFigure<{ rates: number[] }>('dask', 'p1', { ...params, n: daskN }, (o) => median(o.rates), ctx.daskSkipped);
  const piscina = await peerFigure<{ rates: number[] }>('piscina', 'p1', { ...params, n }, (o) => median(o.rates));
  return {
    id: 'P1',
    title: `P1 — ${int(n)} no-op tasks, one task per item`,
    note: `items/s, higher is better; median of ${config.reps} after ${WARM_UP_RUNS} full-size warm-up runs for every system (bench/WARM_UP_RUNS.ts says why). drover's and mp's runs alternate, one map each in turn on a \`drover local\` and a \`Pool\` both kept running, and the mp ratio is the median of the pairs' ratios (bench/pairedRates.ts: on a shared host a block of one system's runs and then the other's measures the host's drift too); the cold row is drover's first full run on the freshly started \`drover local\` (informational). drover: \`map(noop, xs, { chunksize: 1 })\` on \`drover local\` (the target's figure), and the same on the cluster path (\`drover coordinator\` + \`drover agent\` processes, the agent's session over gRPC on loopback; informational); mp: \`Pool.map(noop, range(n), chunksize=1)\`; Dask: \`client.gather(client.map(noop, range(n), pure=False))\` over ${int(daskN)} items (a rate, so comparable; the full size would take minutes); piscina (the local-JS view: worker threads in one process, no network, nothing durable): \`Promise.all(xs.map((x) => pool.run(x)))\` with ${config.processes} threads (bench/peers/piscinaPeer.ts).${measuredNote(mp, dask, piscina)}`,
    targets: [{ target: '≥ 1.0× multiprocessing.Pool (chunksize 1)', measured: ratio(local.ratio, 1), met: local.ratio >= 1 }],
    header: ['', 'items/s', 'drover ÷ peer'],
    rows: [
      ['drover', int(drover), ''],
      ['drover, cold (first full run after start)', int(local.cold), `${ratio(local.cold, mp.value)} of mp`],
      ['drover, agent in its own process (gRPC)', int(cluster), `${ratio(cluster, mp.value)} of mp`],
      ['multiprocessing.Pool', int(mp.value), ratio(local.ratio, 1)],
      ['Dask LocalCluster', int(dask.value), ratio(drover, dask.value)],
      ['piscina (worker threads)', int(piscina.value), ratio(drover, piscina.value)],
    ],
  };
}
