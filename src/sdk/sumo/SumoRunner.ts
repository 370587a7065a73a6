import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { readdir } from 'node:fs/promises';
import { UsageError } from '../../protocol/index.ts';
import type { SumoRunResult, WireSumoRun } from '../builtin/builtinTasks.ts';
import type { Pool } from '../Pool.ts';
import type { TaskOptions } from '../TaskOptions.ts';

/** Where a scenario is and which `.sumocfg` to run. */
export interface SumoScenarioOptions {
  /** A `.sumocfg` file, or the directory holding the scenario (all its files are shipped). */
  scenario: string;
  /** The `.sumocfg` inside a scenario directory; needed when it holds several. */
  config?: string;
  /** Further SUMO arguments for every run. */
  args?: string[];
  /** SUMO output files to bring back (relative to the scenario directory; ask for them in `args`). */
  outputs?: string[];
  /** Keep each run's scratch directory on its agent. */
  keepScratch?: boolean;
}

/** One run: a seed and parameter values, each passed to SUMO as `--name value`. */
export interface SumoRunOptions extends SumoScenarioOptions, TaskOptions {
  seed: number;
  params?: Record<string, string | number>;
}

/** Every seed × every combination of parameter values. */
export interface SumoSweepOptions extends SumoScenarioOptions, TaskOptions {
  seeds: Iterable<number>;
  /** Parameter → values; the sweep runs their cartesian product, each as `--name value`. */
  params?: Record<string, readonly (string | number)[]>;
}

export type { SumoRunResult };

/**
 * SUMO on the cluster: one run, or a sweep over seeds and parameters built on `imapUnordered`.
 * The scenario's files are uploaded once by content, however many runs use them; runs go to agents
 * that have SUMO (`requires: { sumo: true }` unless told otherwise), `SUMO_HOME` is set, each run's
 * `--statistic-output` comes back parsed, and SUMO crashes and TraCI port races are retried.
 *
 * @example
 * for await (const run of pool.sumo.sweep({ scenario: 'grid/grid.sumocfg', seeds: [1, 2, 3], params: { scale: [1, 1.5] } })) {
 *   console.log(run.seed, run.params, run.statistics.vehicleTripStatistics?.timeLoss);
 * }
 */
export class SumoRunner {
  readonly #pool: Pool;

  /** @internal use `pool.sumo` */
  constructor(pool: Pool) {
    this.#pool = pool;
  }

  /** One SUMO run. */
  async run(options: SumoRunOptions): Promise<SumoRunResult> {
    const builtins = await this.#pool.loadBuiltins();
    const base = await this.#prepare(options);
    const run: WireSumoRun = { ...base, seed: options.seed, params: options.params ?? {} };
    const [result] = await this.#pool.map(builtins.runSumoScenario, [run], withSumo(options));
    return result!;
  }

  /** Every seed × parameter combination, results in completion order. */
  async *sweep(options: SumoSweepOptions): AsyncIterable<SumoRunResult> {
    const builtins = await this.#pool.loadBuiltins();
    const base = await this.#prepare(options);
    const combos = sweepCombinations(options.params ?? {});
    const seeds = [...options.seeds];
    function* runs(): Generator<WireSumoRun> {
      for (const params of combos) for (const seed of seeds) yield { ...base, seed, params };
    }
    yield* this.#pool.imapUnordered(builtins.runSumoScenario, runs(), withSumo(options));
  }

  /** Number of runs a sweep makes. */
  static runCount(options: Pick<SumoSweepOptions, 'seeds' | 'params'>): number {
    return [...options.seeds].length * sweepCombinations(options.params ?? {}).length;
  }

  async #prepare(options: SumoScenarioOptions): Promise<Omit<WireSumoRun, 'seed' | 'params'>> {
    const { dir, config } = await locateScenario(options.scenario, options.config);
    const files = await this.#pool.uploadDirectory(dir);
    if (!(config in files)) throw new UsageError(`scenario ${dir} has no ${config}`);
    return { files, config, args: options.args ?? [], outputs: options.outputs ?? [], keepScratch: options.keepScratch ?? false };
  }
}

function withSumo(options: TaskOptions): TaskOptions {
  return { chunksize: 1, ...options, requires: { sumo: true, ...options.requires } };
}

/** All combinations of parameter values, in a stable order; one empty combination without params. */
export function sweepCombinations(params: Record<string, readonly (string | number)[]>): Record<string, string | number>[] {
  let combos: Record<string, string | number>[] = [{}];
  for (const [name, values] of Object.entries(params)) {
    if (values.length === 0) throw new UsageError(`parameter ${name} has no values`);
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
  }
  return combos;
}

async function locateScenario(scenario: string, config: string | undefined): Promise<{ dir: string; config: string }> {
  const path = resolve(scenario);
  const info = await stat(path).catch((err: unknown) => {
    throw new UsageError(`scenario ${scenario} does not exist`, { cause: err });
  });
  if (info.isFile()) return { dir: dirname(path), config: config ?? basename(path) };
  if (config) return { dir: path, config };
  const cfgs = (await readdir(path)).filter((f) => f.endsWith('.sumocfg'));
  if (cfgs.length !== 1) {
    throw new UsageError(
      `scenario directory ${scenario} holds ${cfgs.length === 0 ? 'no' : cfgs.length} .sumocfg files: name one with \`config\``,
    );
  }
  return { dir: path, config: cfgs[0]! };
}
