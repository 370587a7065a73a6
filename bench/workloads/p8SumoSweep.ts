// P8: a SUMO sweep — does drover keep every core busy? Makespan against the ideal (the sum of the
// runs' own times divided by the worker processes); multiprocessing.Pool runs the same seeds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateGridScenario } from '../../src/sumo/index.ts';
import type { BenchContext } from '../BenchContext.ts';
import { scaled } from '../BenchConfig.ts';
import { fixed, int } from '../format.ts';
import { measuredNote } from '../measuredNote.ts';
import { peerFigure } from '../peerFigure.ts';
import type { Table } from '../Table.ts';

export async function p8SumoSweep(ctx: BenchContext): Promise<Table> {
  const { config, pool } = ctx;
  const runs = Math.max(32, scaled(32, config, 32)); // the issue asks for ≥ 32 runs at any scale
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-sumo-'));
  try {
    const grid = await generateGridScenario({ dir, gridNumber: 5, gridLength: 200, vehicles: 1200, end: 3600, seed: 42 });
    // Warm-up: the first run ships the scenario's files to the agent's cache.
    for await (const _ of pool.sumo.sweep({ scenario: grid.cfg, seeds: [0] }));
    const seeds = Array.from({ length: runs }, (_, i) => i + 1);
    const t0 = performance.now();
    let sumMs = 0;
    let count = 0;
    for await (const run of pool.sumo.sweep({ scenario: grid.cfg, seeds })) {
      sumMs += run.wallMs;
      count++;
    }
    const makespan = (performance.now() - t0) / 1000;
    if (count !== runs) throw new Error(`sweep returned ${count} of ${runs} runs`);
    const ideal = sumMs / 1000 / config.processes;

    let mpIdeal = NaN;
    let mpMakespan = NaN;
    const mp = await peerFigure<{ makespan: number; runs: number[] }>('mp', 'p8', { processes: config.processes, cfg: grid.cfg, seeds }, (o) => {
      mpIdeal = o.runs.reduce((a, b) => a + b, 0) / config.processes;
      mpMakespan = o.makespan;
      return o.makespan / mpIdeal;
    });
    return {
      id: 'P8',
      title: `P8 — SUMO sweep of ${runs} runs, ${config.processes} processes`,
      note: `A 5×5 grid scenario (generateGridScenario, 1,200 vehicles over 3,600 simulated seconds), one run per seed. Ideal = sum of the runs' own wall times ÷ ${config.processes} processes; lower ratio is better, 1.00× is perfect packing. drover: \`pool.sumo.sweep({ scenario, seeds })\` on the shared \`drover local\` (scenario files staged through the blob store; each run's time is the task's own SUMO wall time). mp: \`Pool.imap_unordered\` running \`sumo -c cfg --seed s\` in a subprocess, timed around it. One sweep each (a sweep is already ${runs} runs); drover's after a one-run warm-up. Dask is not run: it would do what mp does here.${measuredNote(mp, { value: NaN })}`,
      targets: [{ target: 'makespan ≤ 1.05× ideal', measured: `${fixed(makespan / ideal, 3)}×`, met: makespan / ideal <= 1.05 }],
      header: ['', 'runs', 'makespan s', 'ideal s', 'makespan ÷ ideal'],
      rows: [
        ['drover', int(runs), fixed(makespan, 1), fixed(ideal, 1), `${fixed(makespan / ideal, 3)}×`],
        ['multiprocessing.Pool', int(runs), fixed(mpMakespan, 1), fixed(mpIdeal, 1), `${fixed(mp.value, 3)}×`],
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
