// Task functions of the ramp-metering experiment; they run on agents that have SUMO.
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { buildOnRampScenario, runRampMetering, type RampMeteringResult } from 'drover/sumo';
import { context, stageFiles } from 'drover/task';

export interface ScenarioFiles {
  /** Relative name → blob digest. */
  files: Record<string, string>;
  cfg: string;
}

/** Build the on-ramp merge with netconvert on a SUMO agent and keep its files in the cluster's blob store. */
export async function buildScenario(options: { mainlineFlow: number; rampFlow: number; end: number }): Promise<ScenarioFiles> {
  const dir = await context.scratchDir();
  const scenario = await buildOnRampScenario({ dir, ...options });
  const files: Record<string, string> = {};
  for (const name of await readdir(dir)) files[name] = (await context.storeFile(join(dir, name))).digest;
  return { files, cfg: basename(scenario.cfg) };
}

/** One simulation, uncontrolled or with the ALINEA ramp meter driven through drover's TraCI client. */
export async function rampRun(run: { scenario: ScenarioFiles; seed: number; controlled: boolean }): Promise<RampMeteringResult & { agent: string; worker: string }> {
  const dir = await context.scratchDir();
  await stageFiles(dir, run.scenario.files);
  const result = await runRampMetering({
    cfg: join(dir, run.scenario.cfg),
    seed: run.seed,
    controlled: run.controlled,
    signal: context.signal,
    onSpawn: (pid) => void context.trackChildProcess(pid),
  });
  return { ...result, agent: context.agent, worker: context.worker };
}
