// P4: CPU-bound work — primes below 3M by trial division in 64 ranges. Each system's parallel
// efficiency is against the same language's serial run, so JS vs Python speed cancels out.
import type { BenchContext } from '../BenchContext.ts';
import { scaled } from '../BenchConfig.ts';
import { fixed } from '../format.ts';
import { measuredNote } from '../measuredNote.ts';
import { peerFigure } from '../peerFigure.ts';
import { primeRanges } from '../primeRanges.ts';
import { median } from '../stats.ts';
import type { Table } from '../Table.ts';
import { countPrimes } from '../tasks.ts';

export async function p4Primes(ctx: BenchContext): Promise<Table> {
  const { config, pool, tasks } = ctx;
  const limit = scaled(3_000_000, config, 10_000);
  const parts = 64;
  const ranges = primeRanges(limit, parts);

  // JS serial: in this process, after a warm-up so the JIT has compiled countPrimes.
  ranges.slice(0, 4).forEach(countPrimes);
  const serial: number[] = [];
  let expected = 0;
  for (let r = 0; r < config.reps; r++) {
    const t0 = performance.now();
    expected = ranges.reduce((sum, range) => sum + countPrimes(range), 0);
    serial.push((performance.now() - t0) / 1000);
  }
  // chunksize 1 everywhere: 64 uneven ranges (later ones cost more) balance best one at a time.
  // Warm-up: two whole maps, so that the timed ones run on code the JIT has optimized in every
  // process (the SDK, drover's, the workers), as in a long sweep; the first maps run partly interpreted.
  for (let i = 0; i < 2; i++) await pool.map(tasks.countPrimes, ranges, { chunksize: 1 });
  const walls: number[] = [];
  for (let r = 0; r < config.reps; r++) {
    const t0 = performance.now();
    const counts = await pool.map(tasks.countPrimes, ranges, { chunksize: 1 });
    walls.push((performance.now() - t0) / 1000);
    const total = counts.reduce((a, b) => a + b, 0);
    if (total !== expected) throw new Error(`drover counted ${total} primes, serial ${expected}`);
  }
  // Python is ~20× slower at this loop: 2 repetitions keep P4's Python share near a minute.
  const pyReps = Math.min(config.reps, 2);
  const params = { processes: config.processes, reps: pyReps, limit, parts };
  const wall = (o: { walls: number[]; primes: number }) => {
    if (o.primes !== expected) throw new Error(`counted ${o.primes} primes, JS ${expected}`);
    return median(o.walls);
  };
  const pySerial = await peerFigure('serial', 'p4', params, wall);
  const mp = await peerFigure('mp', 'p4', params, wall);
  const dask = await peerFigure('dask', 'p4', params, wall, ctx.daskSkipped);
  // piscina runs JS: its efficiency is against the JS serial run, like drover's.
  const piscina = await peerFigure('piscina', 'p4', { ...params, reps: config.reps }, wall);
  // The machine's ceiling: the same JS in bare processes, split ahead of time, nothing dispatched.
  const bare = await peerFigure('bare', 'p4', { ...params, reps: config.reps }, wall);

  const p = config.processes;
  const eff = (serialS: number, wallS: number) => `${fixed((100 * serialS) / (wallS * p), 0)} %`;
  const js = median(serial);
  const dw = median(walls);
  return {
    id: 'P4',
    title: `P4 — primes below ${limit.toLocaleString('en')} in ${parts} ranges (trial division), ${p} processes`,
    note: `Wall seconds (median; drover, piscina and JS serial of ${config.reps}, Python of ${pyReps}, since Python runs this loop ~20× slower). Parallel efficiency = serial ÷ (wall × ${p} processes), each against its own language's serial run. All four parallel runs use one range per task (piscina: worker threads, \`Promise.all\` of one \`pool.run\` per range, bench/peers/piscinaPeer.ts). The last row is this machine's ceiling for the JS work: ${p} bare Node processes given their ranges ahead of time (range i to process i mod ${p}; bench/peers/bareProcessesPeer.ts), with no framework and nothing dispatched; below 100 % there is what two busy cores cost against one, and drover's gap below that row is its per-task overhead. Same algorithm in both languages (bench/tasks.ts \`countPrimes\`, bench/peers/peers.py \`count_primes\`); both found ${expected.toLocaleString('en')} primes. JS does this work ~${fixed(pySerial.value / js, 0)}× faster than Python, so drover's 64 tasks average ${fixed((1000 * js) / parts, 1)} ms each and its efficiency reflects per-task overhead as much as packing.${measuredNote(mp, dask, piscina, bare)}`,
    targets: [{ target: '≥ 95 % parallel efficiency', measured: eff(js, dw), met: js / (dw * p) >= 0.95 }],
    header: ['', 'serial s', 'parallel wall s', 'parallel efficiency'],
    rows: [
      ['drover (JS)', fixed(js, 3), fixed(dw, 3), eff(js, dw)],
      ['multiprocessing.Pool (Python)', fixed(pySerial.value, 3), fixed(mp.value, 3), eff(pySerial.value, mp.value)],
      ['Dask LocalCluster (Python)', fixed(pySerial.value, 3), fixed(dask.value, 3), eff(pySerial.value, dask.value)],
      ['piscina (JS, worker threads)', fixed(js, 3), fixed(piscina.value, 3), eff(js, piscina.value)],
      ['bare processes, ranges split ahead (JS; the ceiling)', fixed(js, 3), fixed(bare.value, 3), eff(js, bare.value)],
    ],
  };
}
