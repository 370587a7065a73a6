// P5: memory stays flat as a streamed job grows — `imapUnordered` over lazily generated items at
// two sizes ten times apart; peak RSS of the SDK process and of the coordinator for each.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from '../BenchContext.ts';
import { scaled } from '../BenchConfig.ts';
import { fixed, int } from '../format.ts';
import { peakRssMb } from '../procStats.ts';
import { startDrover } from '../startDrover.ts';
import type { Table } from '../Table.ts';

const CLIENT = fileURLToPath(new URL('../streamingClient.mjs', import.meta.url));
// 100 items per task: at one item per task 10M items would take ~15 min on 2 cores; memory
// flatness is about how many items and results are held, which chunking does not hide (the
// window still bounds tasks in flight, and 10M items is still 100k tasks through the store).
const CHUNKSIZE = 100;

interface Run {
  items: number;
  seconds: number;
  sdkMb: number;
  coordinatorMb: number;
}

async function streamOnce(items: number, processes: number): Promise<Run> {
  // A fresh coordinator and agent per size: VmHWM only rises, so each size needs its own process.
  const coordinator = await startDrover('coordinator');
  const agent = await startDrover('agent', ['--coordinator', coordinator.address, '--processes', String(processes)]);
  try {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [CLIENT, coordinator.address, String(items), String(CHUNKSIZE)], { maxBuffer: 1 << 20 }, (error, stdout, stderr) =>
        error ? reject(new Error(`streaming client failed: ${stderr || error.message}`)) : resolve(stdout),
      ),
    );
    const client = JSON.parse(out.trim().split('\n').at(-1)!) as { seconds: number; peakRssMb: number };
    return { items, seconds: client.seconds, sdkMb: client.peakRssMb, coordinatorMb: peakRssMb(coordinator.pid) };
  } finally {
    await agent.stop();
    await coordinator.stop();
  }
}

export async function p5StreamingMemory(ctx: BenchContext): Promise<Table> {
  const small = scaled(1_000_000, ctx.config, 10_000);
  const large = small * 10;
  const runs = [await streamOnce(small, ctx.config.processes), await streamOnce(large, ctx.config.processes)];
  const [a, b] = runs as [Run, Run];
  return {
    id: 'P5',
    title: `P5 — \`imapUnordered\` over ${int(small)} vs ${int(large)} lazily generated items: peak RSS`,
    note: `Peak RSS (VmHWM from /proc, MiB) of the SDK process (a child running only this job: bench/streamingClient.mjs, plain JavaScript importing the built package as an installed drover is used; a TypeScript script adds Node's own type stripper, ~30 MiB) and of the coordinator process (\`drover coordinator --data\`, a fresh one per size, with the V8 settings bin/drover.js gives every long-running drover process: \`--max-semi-space-size=4 --heap-growing-percent=150\`; the agent runs separately). ${CHUNKSIZE} items per task, default window (1024 tasks in flight); items come from a generator. One run per size: VmHWM is a peak, not a rate. Flat = the growth column stays near 1.00× while the items grow 10×.`,
    targets: [
      { target: 'SDK peak RSS ≤ 150 MB', measured: `${fixed(Math.max(a.sdkMb, b.sdkMb), 0)} MiB`, met: Math.max(a.sdkMb, b.sdkMb) * 1.048576 <= 150 },
      { target: 'coordinator peak RSS ≤ 150 MB', measured: `${fixed(Math.max(a.coordinatorMb, b.coordinatorMb), 0)} MiB`, met: Math.max(a.coordinatorMb, b.coordinatorMb) * 1.048576 <= 150 },
      // "Flat": we read growth within 25 % over 10× the items as flat; the issue gives no number.
      { target: 'flat as items grow 10× (≤ 1.25× growth)', measured: `SDK ${fixed(b.sdkMb / a.sdkMb, 2)}×, coordinator ${fixed(b.coordinatorMb / a.coordinatorMb, 2)}×`, met: b.sdkMb / a.sdkMb <= 1.25 && b.coordinatorMb / a.coordinatorMb <= 1.25 },
    ],
    header: ['process', `${int(small)} items`, `${int(large)} items`, 'growth (10× items)'],
    rows: [
      ['SDK (peak RSS MiB)', fixed(a.sdkMb, 0), fixed(b.sdkMb, 0), `${fixed(b.sdkMb / a.sdkMb, 2)}×`],
      ['coordinator (peak RSS MiB)', fixed(a.coordinatorMb, 0), fixed(b.coordinatorMb, 0), `${fixed(b.coordinatorMb / a.coordinatorMb, 2)}×`],
      ['throughput (items/s)', int(a.items / a.seconds), int(b.items / b.seconds), ''],
    ],
  };
}
