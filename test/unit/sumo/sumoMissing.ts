import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sumoEnvironment } from '../../../src/sumo/index.ts';

function probe(): string | undefined {
  const env = sumoEnvironment();
  for (const tool of ['sumo', 'netconvert', 'netgenerate']) {
    const run = spawnSync(tool, ['--version'], { encoding: 'utf8', env });
    if (run.error) return `${tool} is not installed (${run.error.message}); apt-get install -y sumo sumo-tools`;
    if (run.status !== 0) return `${tool} --version exited with ${run.status}`;
  }
  const randomTrips = join(env.SUMO_HOME!, 'tools', 'randomTrips.py');
  if (!existsSync(randomTrips)) return `${randomTrips} is missing (sumo-tools not installed?)`;
  return undefined;
}

/** Why the tests that run real SUMO cannot run on this machine, or undefined when they can. */
export const sumoMissing: string | undefined = probe();

if (sumoMissing) console.warn(`SUMO tests skipped: ${sumoMissing}`);
