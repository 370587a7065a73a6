import { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { connect, summarizeSweep, SumoRunner, sweepCombinations, type SumoRunResult } from '../../sdk/index.ts';
import { formatSweepSummary } from '../formatSweepSummary.ts';
import { parsePositiveInt } from '../parseKeyValue.ts';
import { parseParam } from '../parseParam.ts';
import { parseSeeds } from '../parseSeeds.ts';
import { ProgressBar } from '../ProgressBar.ts';
import { sweepCsv } from '../sweepCsv.ts';

interface SweepFlags {
  seeds: number[];
  param: Record<string, (string | number)[]>;
  out?: string;
  address?: string;
  processes?: number;
  config?: string;
  sumoArg: string[];
  retries?: number;
}

/** `drover sumo sweep`: seeds × parameters on the cluster's SUMO agents, with a summary per parameter set. */
export function sumoCommand(): Command {
  const sweep = new Command('sweep')
    .description('run a SUMO scenario for every seed × parameter combination and summarise the statistics')
    .argument('<scenario>', 'a .sumocfg file, or a directory holding one scenario (all its files are shipped)')
    .requiredOption('--seeds <seeds>', 'seeds: 1..32, 1,2,5 or 1..4,10..12', parseSeeds)
    .option('--param <name=v1,v2>', 'a SUMO option and its values (repeatable); runs the cartesian product', parseParam, {})
    .option('--sumo-arg <arg>', 'an extra SUMO argument for every run (repeatable)', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('--config <file>', 'the .sumocfg inside a scenario directory')
    .option('--out <file.csv>', 'write one CSV row per run')
    .option('--address <host:port>', 'coordinator (default DROVER_ADDRESS; none: a local cluster on this machine)')
    .option('--processes <n>', 'worker processes of the local cluster', parsePositiveInt)
    .option('--retries <n>', 'attempts after SUMO crashes or lost agents (default 3)', (v: string) => Number(v))
    .action(async (scenario: string, opts: SweepFlags) => {
      const total = SumoRunner.runCount({ seeds: opts.seeds, params: opts.param });
      const pool = await connect({
        ...(opts.address ? { address: opts.address } : {}),
        ...(opts.processes !== undefined ? { processes: opts.processes } : {}),
      });
      try {
        const bar = new ProgressBar(total, 'sumo sweep');
        const runs: SumoRunResult[] = [];
        const started = performance.now();
        for await (const run of pool.sumo.sweep({
          scenario,
          seeds: opts.seeds,
          params: opts.param,
          args: opts.sumoArg,
          ...(opts.config ? { config: opts.config } : {}),
          ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
        })) {
          runs.push(run);
          const p = Object.entries(run.params).map(([k, v]) => `${k}=${v}`).join(' ');
          bar.tick(`seed ${run.seed}${p ? ` ${p}` : ''} on ${run.agent}`);
        }
        const wall = (performance.now() - started) / 1000;
        const busy = runs.reduce((a, r) => a + r.wallMs, 0) / 1000;
        process.stdout.write(`\n${runs.length} runs in ${wall.toFixed(1)} s (sum of run times ${busy.toFixed(1)} s)\n\n`);
        process.stdout.write(formatSweepSummary(summarizeSweep(runs)));
        if (opts.out) {
          // Rows in sweep order: parameter combinations as listed, then seeds as given.
          const combo = new Map(sweepCombinations(opts.param).map((c, i) => [JSON.stringify(c), i]));
          const seedAt = new Map(opts.seeds.map((s, i) => [s, i]));
          runs.sort((a, b) => combo.get(JSON.stringify(a.params))! - combo.get(JSON.stringify(b.params))! || seedAt.get(a.seed)! - seedAt.get(b.seed)!);
          await writeFile(opts.out, sweepCsv(runs));
          process.stdout.write(`wrote ${opts.out}\n`);
        }
      } finally {
        await pool.close();
      }
    });
  return new Command('sumo').description('SUMO traffic simulations on the cluster').addCommand(sweep);
}
