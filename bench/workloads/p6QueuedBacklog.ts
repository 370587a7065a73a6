// P6: a backlog — 1M tasks submitted to a coordinator with no agent, then an agent joins and
// drains them: how fast the store takes a backlog in, what it costs in memory, how fast it drains.
import type { BenchContext } from '../BenchContext.ts';
import { scaled } from '../BenchConfig.ts';
import { fixed, int } from '../format.ts';
import { cpuSeconds, peakRssMb, rssMb } from '../procStats.ts';
import { connect } from '../../src/sdk/index.ts';
import { startDrover } from '../startDrover.ts';
import type { Table } from '../Table.ts';

function* lazyItems(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * When the coordinator has stored everything it was sent: the SDK has written the last input and
 * the coordinator's CPU has then stayed idle for a while. Returns the time of its last busy sample.
 */
async function ingestDone(pid: number, handedOver: () => boolean, t0: number): Promise<number> {
  let lastCpu = cpuSeconds(pid);
  let lastBusy = performance.now();
  for (;;) {
    await sleep(100);
    const cpu = cpuSeconds(pid);
    if (cpu - lastCpu > 0.01) lastBusy = performance.now();
    lastCpu = cpu;
    if (handedOver() && performance.now() - lastBusy > 1000) return (lastBusy - t0) / 1000;
  }
}

export async function p6QueuedBacklog(ctx: BenchContext): Promise<Table> {
  const n = scaled(Number(process.env.BENCH_P6_TASKS ?? 1_000_000), ctx.config, 1000);
  const coordinator = await startDrover('coordinator');
  let agent: Awaited<ReturnType<typeof startDrover>> | undefined;
  try {
    const pool = await connect({ address: coordinator.address });
    const tasks = await pool.load<typeof import('../tasks.ts')>(new URL('../tasks.ts', import.meta.url));
    const idleMb = rssMb(coordinator.pid);
    let handedOver = false;
    const t0 = performance.now();
    // One item per task and a window past n: every task is queued at once, none throttled.
    const job = pool.mapAsync(tasks.noop, lazyItems(n), {
      chunksize: 1,
      window: n + 1,
      onProgress: (e) => {
        if (e.total !== undefined) handedOver = true;
      },
    });
    const submitS = await ingestDone(coordinator.pid, () => handedOver, t0);
    const queuedMb = rssMb(coordinator.pid);
    const peakQueuedMb = peakRssMb(coordinator.pid);

    const cpu0 = cpuSeconds(coordinator.pid);
    const d0 = performance.now();
    agent = await startDrover('agent', ['--coordinator', coordinator.address, '--processes', String(ctx.config.processes)]);
    const results = await job.result();
    const drainS = (performance.now() - d0) / 1000;
    const drainCpu = cpuSeconds(coordinator.pid) - cpu0;
    if (results.length !== n) throw new Error(`drained ${results.length} of ${n}`);
    const peakMb = peakRssMb(coordinator.pid);
    await pool.close();
    return {
      id: 'P6',
      title: `P6 — ${int(n)} tasks queued with no agent connected, then drained`,
      note: `drover only (mp.Pool and Dask have no coordinator that outlives its workers). \`drover coordinator --data\` alone; the SDK submits \`mapAsync(noop, generator, { chunksize: 1, window: n + 1 })\`. Submit time: until the SDK had handed over every task and the coordinator's CPU then went idle (all stored) — sampled every 100 ms. Then \`drover agent --processes ${ctx.config.processes}\` starts and drains; the drain time includes its start-up. One run (a backlog this size is not repeated).`,
      targets: [
        { target: `${int(n)} queued in ≤ ${fixed(20 * n / 1_000_000, 1)} s (1M in ≤ 20 s)`, measured: `${fixed(submitS, 1)} s`, met: submitS <= (20 * n) / 1_000_000 },
        { target: 'coordinator RSS ≤ 1 GB', measured: `${fixed(peakMb, 0)} MiB`, met: peakMb * 1.048576 <= 1000 },
      ],
      header: ['figure', 'value'],
      rows: [
        ['submit time (s)', fixed(submitS, 1)],
        ['submit rate (tasks/s)', int(n / submitS)],
        ['coordinator RSS idle → queued (MiB)', `${fixed(idleMb, 0)} → ${fixed(queuedMb, 0)}`],
        ['coordinator peak RSS while queueing (MiB)', fixed(peakQueuedMb, 0)],
        ['drain time (s)', fixed(drainS, 1)],
        ['drain rate (tasks/s)', int(n / drainS)],
        ['coordinator CPU while draining (% of one core)', `${fixed((100 * drainCpu) / drainS, 0)} %`],
        ['coordinator peak RSS overall (MiB)', fixed(peakMb, 0)],
      ],
    };
  } finally {
    await agent?.stop();
    await coordinator.stop();
  }
}
