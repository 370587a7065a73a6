import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SumoOutputError } from './errors/SumoOutputError.ts';
import { parseStatistics } from './parseStatistics.ts';
import { runSumoCommand } from './runSumoCommand.ts';
import type { SumoExit } from './SumoExit.ts';
import type { SumoStatistics } from './SumoStatistics.ts';

/** One plain (uncontrolled) SUMO run. */
export interface RunSumoOptions {
  /** The scenario's `.sumocfg`. */
  cfg: string;
  seed: number;
  /** More SUMO arguments, e.g. parameter overrides (`--scale 1.2`) or outputs relative to `workDir`. */
  args?: readonly string[];
  sumoBinary?: string;
  /** Where SUMO runs and writes its outputs. Default: a fresh temporary folder, removed afterwards. */
  workDir?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Run SUMO in its own process group and report its pid (see `SumoProcessOptions.onSpawn`). */
  onSpawn?: (pid: number) => void;
}

/** A finished run: its parsed statistics and how the process ended. */
export interface RunSumoResult {
  seed: number;
  statistics: SumoStatistics;
  exit: SumoExit;
}

/**
 * Runs SUMO on a scenario with a seed, asks it for `--statistic-output` (and trip statistics) and
 * returns them parsed. Failures reject with classified, `retryable`-flagged errors.
 *
 * @example
 * const { statistics } = await runSumo({ cfg: 'scenario/scenario.sumocfg', seed: 7 });
 */
export async function runSumo(options: RunSumoOptions): Promise<RunSumoResult> {
  const ownWorkDir = options.workDir === undefined;
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'drover-sumo-')));
  const statisticsFile = join(workDir, `statistics.seed${options.seed}.xml`);
  try {
    const exit = await runSumoCommand(
      options.sumoBinary ?? 'sumo',
      [
        '-c', resolve(options.cfg),
        '--seed', String(options.seed),
        '--statistic-output', statisticsFile,
        '--duration-log.statistics', 'true',
        '--no-step-log', 'true',
        ...(options.args ?? []),
      ],
      {
        cwd: workDir,
        ...(options.env ? { env: options.env } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onSpawn ? { onSpawn: options.onSpawn } : {}),
      },
    );
    let xml: string;
    try {
      xml = await readFile(statisticsFile, 'utf8');
    } catch (error) {
      throw new SumoOutputError(`SUMO wrote no statistic output at ${statisticsFile}`, { cause: error });
    }
    return { seed: options.seed, statistics: parseStatistics(xml), exit };
  } finally {
    if (ownWorkDir) await rm(workDir, { recursive: true, force: true });
  }
}
