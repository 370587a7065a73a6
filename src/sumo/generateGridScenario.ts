import { access, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SumoError } from './errors/SumoError.ts';
import { runSumoCommand } from './runSumoCommand.ts';
import { sumoEnvironment } from './sumoEnvironment.ts';
import { writeSumoConfig } from './writeSumoConfig.ts';

/** A grid city to generate. Give either `vehicles` or `insertionRate`. */
export interface GridScenarioOptions {
  /** Folder to write into (created if missing). */
  dir: string;
  /** Junctions per side. */
  gridNumber: number;
  /** Distance between junctions, m. */
  gridLength: number;
  /** About how many vehicles depart over [0, end] (a few invalid trips are dropped by `--validate`). */
  vehicles?: number;
  /** Or: vehicles per hour. */
  insertionRate?: number;
  /** Demand and simulation end, s. */
  end: number;
  /** randomTrips' seed: the same seed gives the same routes. Also the `.sumocfg`'s default `--seed`. */
  seed: number;
  /** Lanes per direction. Default 2. */
  lanes?: number;
  /** Speed limit, m/s. Default 13.89 (50 km/h). */
  speed?: number;
  /** Shortest trip, m. Default 300, or the grid's span if smaller. */
  minDistance?: number;
  /** Python for randomTrips.py: Debian's `/usr/bin/python3`, where `sumolib` imports. */
  python?: string;
  netgenerateBinary?: string;
  /** Base environment; `SUMO_HOME` is added when missing. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/** Files of a generated grid scenario. Paths are absolute. */
export interface GridScenario {
  dir: string;
  cfg: string;
  net: string;
  trips: string;
  routes: string;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Generates a grid city with traffic lights and random routed trips, the recipe of SUMO.md:
 * `netgenerate --grid`, then `randomTrips.py --validate` with a fixed seed (routes through
 * duarouter), then a `.sumocfg` with trip statistics on and XML validation off.
 *
 * @example
 * const grid = await generateGridScenario({ dir, gridNumber: 5, gridLength: 200, vehicles: 500, end: 3600, seed: 42 });
 * await runSumoCommand('sumo', ['-c', grid.cfg, '--statistic-output', 'stats.xml'], { cwd: grid.dir });
 */
export async function generateGridScenario(options: GridScenarioOptions): Promise<GridScenario> {
  if ((options.vehicles === undefined) === (options.insertionRate === undefined)) {
    throw new TypeError('generateGridScenario: give exactly one of vehicles and insertionRate');
  }
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const env = sumoEnvironment(options.env);
  const randomTrips = join(env.SUMO_HOME!, 'tools', 'randomTrips.py');
  if (!(await exists(randomTrips))) {
    throw new SumoError('DROVER_SUMO', `randomTrips.py not found at ${randomTrips}: install sumo-tools or set SUMO_HOME`, false);
  }
  const python = options.python ?? ((await exists('/usr/bin/python3')) ? '/usr/bin/python3' : 'python3');
  const net = join(dir, 'net.net.xml');
  const trips = join(dir, 'trips.trips.xml');
  const routes = join(dir, 'routes.rou.xml');
  const run = { cwd: dir, env, ...(options.signal ? { signal: options.signal } : {}) };

  await runSumoCommand(
    options.netgenerateBinary ?? 'netgenerate',
    [
      '--grid',
      `--grid.number=${options.gridNumber}`,
      `--grid.length=${options.gridLength}`,
      `--grid.attach-length=${options.gridLength}`,
      '--default.lanenumber', String(options.lanes ?? 2),
      '--default.speed', String(options.speed ?? 13.89),
      '--default-junction-type', 'traffic_light',
      '--seed', String(options.seed),
      '--output-file', net,
    ],
    run,
  );

  const rate = options.insertionRate ?? ((options.vehicles ?? 0) * 3600) / options.end;
  const span = options.gridLength * (options.gridNumber + 1);
  await runSumoCommand(
    python,
    [
      randomTrips,
      '-n', net,
      '-b', '0',
      '-e', String(options.end),
      '--insertion-rate', String(rate),
      '--fringe-factor', '10',
      '--min-distance', String(options.minDistance ?? Math.min(300, span)),
      '--seed', String(options.seed),
      '--validate',
      '-o', trips,
      '-r', routes,
    ],
    run,
  );

  const cfg = await writeSumoConfig({ path: join(dir, 'scenario.sumocfg'), net, routes: [routes], end: options.end, seed: options.seed });
  return { dir, cfg, net, trips, routes };
}
