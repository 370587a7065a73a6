// P4: CPU-bound work — primes below 3M by trial division in 64 ranges. Each system's parallel
// efficiency is against the same language's serial run, so JS vs Python speed cancels out.
import type { BenchContext } from '../BenchContext.ts';
import { scaled } from '../BenchConfig.ts';
import { fixed } from '../format.ts';
import { measuredNote } from '../measuredNote.ts';
import { interleavedPrimes } from '../interleavedPrimes.ts';
import type { PairedPrimes } from '../pairedPrimes.ts';
import { BareProcesses } from '../peers/BareProcesses.ts';
import { peerFigure } from '../peerFigure.ts';
import { childrenCpuSeconds, cpuSeconds } from '../procStats.ts';
import type { PeerName } from '../runPeer.ts';
import { primeRanges } from '../primeRanges.ts';
import { P4_WARM_UP_MAPS } from '../P4_WARM_UP_MAPS.ts';
import { median, percentile } from '../stats.ts';
import type { Table } from '../Table.ts';

/** A system's P4 figures: median serial and parallel seconds, median paired efficiency. */
interface Figures {
  serial: number;
  wall: number;
  efficiency: number;
}

export async function p4Primes(ctx: BenchContext): Promise<Table> {
  const { config, pool, tasks, local } = ctx;
  const limit = scaled(3_000_000, config, 10_000);
  const parts = 64;
  const ranges = primeRanges(limit, parts);

  // The no-framework reference's processes, driven from here so that their runs interleave with drover's.
  const bareProcesses = new BareProcesses(config.processes, limit, parts);
  // A JS pair takes under half a second, and on a shared host one pair's efficiency moves by ±15 points
  // (the serial run and the parallel one catch the host in different states; 100 pairs on a quiet host
  // had their quartiles at 87 % and 107 %), so a median of 15 pairs moved by ±10 points within one run.
  // The JS rows take nine times the repetitions (~20 s a row); Python's pairs take ~12 s each.
  const jsReps = 9 * config.reps;
  // Where the CPU of the timed maps went: drover's own processes (the control plane, taken from the same
  // two cores as the work) against its workers, which ran the ranges. `drover local` and the workers idle
  // through the serial runs and the bare processes' runs, so they are read around all of them (/proc reads
  // stay out of the timed maps); this process's CPU only around each map, as the serial runs are its own.
  let local0 = 0;
  let workers0 = 0;
  let sdkCpu = 0;
  let timed: Record<'drover' | 'bare', PairedPrimes>;
  try {
    // chunksize 1 everywhere: 64 uneven ranges (later ones cost more) balance best one at a time.
    // Warm-up: whole maps, so that the timed ones run on code the JIT has optimized in every process
    // (the SDK, drover's, the workers), as in a long sweep (bench/P4_WARM_UP_MAPS.ts says how many and why).
    for (let i = 0; i < P4_WARM_UP_MAPS; i++) {
      await pool.map(tasks.countPrimes, ranges, { chunksize: 1 });
      await bareProcesses.run();
    }
    local0 = cpuSeconds(local.pid);
    workers0 = childrenCpuSeconds(local.pid);
    // Each repetition: a serial run in this process, then a drover map and a bare run, in turn
    // (bench/interleavedPrimes.ts).
    timed = await interleavedPrimes(ranges, jsReps, {
      drover: async () => {
        const sdk0 = process.cpuUsage();
        const counts = await pool.map(tasks.countPrimes, ranges, { chunksize: 1 });
        const sdk = process.cpuUsage(sdk0);
        sdkCpu += (sdk.user + sdk.system) / 1e6;
        return counts.reduce((a, b) => a + b, 0);
      },
      bare: () => bareProcesses.run(),
    });
  } finally {
    await bareProcesses.close();
  }
  const drover = timed.drover;
  const cpu = { local: cpuSeconds(local.pid) - local0, sdk: sdkCpu, workers: childrenCpuSeconds(local.pid) - workers0 };
  const expected = drover.primes;
  // Python is ~20× slower at this loop: 2 repetitions keep P4's Python share near a minute and a half.
  const pyReps = Math.min(config.reps, 2);
  const params = { processes: config.processes, reps: pyReps, limit, parts };
  const p = config.processes;
  /** Each pair's parallel efficiency: its serial run ÷ (its parallel wall × processes). */
  const efficiencies = (o: PairedPrimes): number[] => o.walls.map((w, i) => o.serials[i]! / (w * p));
  /** A peer's run: its own median serial and wall, and the median of its paired efficiencies. */
  const figures = (o: PairedPrimes): Figures => {
    if (o.primes !== expected) throw new Error(`counted ${o.primes} primes, drover ${expected}`);
    return { serial: median(o.serials), wall: median(o.walls), efficiency: median(efficiencies(o)) };
  };
  const none: Figures = { serial: NaN, wall: NaN, efficiency: NaN };
  const peer = async (name: PeerName, reps: number, skipped?: string) => {
    let out: Figures = none;
    const figure = await peerFigure(name, 'p4', { ...params, reps }, (o: PairedPrimes) => (out = figures(o)).efficiency, skipped);
    return { ...figure, ...out };
  };
  const mp = await peer('mp', pyReps);
  const dask = await peer('dask', pyReps, ctx.daskSkipped);
  // piscina runs JS: its serial runs are JS too, timed in its own process like drover's in this one.
  const piscina = await peer('piscina', jsReps);

  const pct = (e: number) => `${fixed(100 * e, 0)} %`;
  const d = figures(drover);
  const bare = figures(timed.bare);
  const droverEfficiencies = efficiencies(drover);
  // The same repetition's bare wall over drover's: drover's efficiency as a share of the bare processes', taken
  // at the same moments (the host's state cancels out of each repetition's ratio).
  const shareOfBare = median(drover.walls.map((w, i) => timed.bare.walls[i]! / w));
  const perMapMs = (seconds: number) => fixed((1000 * seconds) / jsReps, 1);
  const totalWall = drover.walls.reduce((a, b) => a + b, 0);
  const totalSerial = drover.serials.reduce((a, b) => a + b, 0);
  const cpuNote =
    ` Per timed map, drover's own processes used ${perMapMs(cpu.local + cpu.sdk)} ms of CPU (\`drover local\`, coordinator and agent: ${perMapMs(cpu.local)} ms; this SDK process: ${perMapMs(cpu.sdk)} ms), ` +
    `${pct((cpu.local + cpu.sdk) / (totalWall * p))} of the ${p} cores over the maps' wall time, and its workers ${perMapMs(cpu.workers)} ms against the serial runs' ${perMapMs(totalSerial)} ms ` +
    `(/proc, 10 ms ticks summed over ${jsReps} maps): the control plane's CPU comes out of the cores the ranges run on.` +
    (cpu.workers < totalSerial
      ? ` The workers ran the ranges on ${pct(1 - cpu.workers / totalSerial)} less CPU than this process's serial runs took. The loop's speed differs by about that much between processes, and within one over time (whole serial runs on a quiet host: 270–290 ms at some times, 315–325 ms at others, in a process like this one and in a worker alike; why is not pinned down), and the serial runs here do not share the workers' state: that is how a pair, or a median, can come out above 100 %.`
      : '');
  const row = (name: string, f: Figures) => [name, fixed(f.serial, 3), fixed(f.wall, 3), pct(f.efficiency)];
  return {
    id: 'P4',
    title: `P4 — primes below ${limit.toLocaleString('en')} in ${parts} ranges (trial division), ${p} processes`,
    note: `Wall seconds (median; drover, piscina and the bare processes of ${jsReps} runs, Python of ${pyReps}, since Python runs this loop ~20× slower). Every parallel run comes right after a serial run of the same ranges in the process that times it (bench/pairedPrimes.ts, peers.py \`paired_primes\`; drover's maps and the bare processes' runs take turns after the same serial runs in this process, bench/interleavedPrimes.ts): parallel efficiency = serial ÷ (wall × ${p} processes) for each such pair, the median of them shown, so that the machine changing speed between runs (by a third or more on a shared host) skews no row; serial s is each row's own median. drover's pairs ranged ${pct(Math.min(...droverEfficiencies))}–${pct(Math.max(...droverEfficiencies))}, the middle half ${pct(percentile(droverEfficiencies, 25))}–${pct(percentile(droverEfficiencies, 75))}; drover's efficiency as a share of the bare processes' in the same repetition (their wall over drover's; the host's state cancels out of it) had a median of ${pct(shareOfBare)}. All four parallel runs use one range per task (piscina: worker threads, \`Promise.all\` of one \`pool.run\` per range, bench/peers/piscinaPeer.ts). The last row is the same JS with no framework: ${p} bare Node processes given their ranges ahead of time (range i to process i mod ${p}; bench/peers/BareProcesses.ts), nothing dispatched; below 100 % there is what two busy cores cost against one on this host, and what a split made ahead of time costs: it cannot move ranges away from a core the host slows down, or even out the ranges' uneven costs, as dispatching one range at a time does, so it is not a ceiling for drover. Same algorithm in both languages (bench/tasks.ts \`countPrimes\`, bench/peers/peers.py \`count_primes\`); both found ${expected.toLocaleString('en')} primes.${cpuNote} JS does this work ~${fixed(mp.serial / d.serial, 0)}× faster than Python, so drover's 64 tasks average ${fixed((1000 * d.serial) / parts, 1)} ms each and its efficiency reflects per-task overhead as much as packing.${measuredNote(mp, dask, piscina)}`,
    targets: [{ target: '≥ 95 % parallel efficiency', measured: pct(d.efficiency), met: d.efficiency >= 0.95 }],
    header: ['', 'serial s', 'parallel wall s', 'parallel efficiency'],
    rows: [
      row('drover (JS)', d),
      row('multiprocessing.Pool (Python)', mp),
      row('Dask LocalCluster (Python)', dask),
      row('piscina (JS, worker threads)', piscina),
      row('bare processes, ranges split ahead (JS; no framework)', bare),
    ],
  };
}
