import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { pb } from '../protocol/index.ts';
import { probeCores, type Cores, type ProbeCoresOptions } from './probeCores.ts';
import { parseSumoVersion } from './parseSumoVersion.ts';

const SUMO_TIMEOUT_MS = 5000;
const PYTHON_TIMEOUT_MS = 10_000;
const DEBIAN_SUMO_HOME = '/usr/share/sumo';
/** Debian's python: the one its `sumo-tools` and `python3-libsumo` packages install modules for. */
const SYSTEM_PYTHON = '/usr/bin/python3';
/**
 * Tries each SUMO module in one interpreter and prints `{"traci": bool, "libsumo": bool}`.
 * `$SUMO_HOME/tools` (argv[1]) goes at the *end* of the search path: it holds a `libsumo` package
 * without its native part, which, first on the path (as with PYTHONPATH), would hide a working
 * `libsumo` installed in site-packages (Debian's python3-libsumo).
 */
const PYTHON_PROBE = `
import json, sys
if len(sys.argv) > 1 and sys.argv[1]:
    sys.path.append(sys.argv[1])
found = {}
for name in ("traci", "libsumo"):
    try:
        __import__(name)
        found[name] = True
    except BaseException:
        found[name] = False
print(json.dumps(found))
`;

/** Options of {@link probeCapacity}; all optional. */
export interface ProbeCapacityOptions extends ProbeCoresOptions {
  /** Cores already probed ({@link probeCores}): announced as they are, so that they match a pool sized from them. */
  cores?: Cores;
  labels?: Record<string, string>;
  resources?: Record<string, number>;
  /** The sumo binary to ask for its version (default `sumo` on PATH). */
  sumoCommand?: string;
  /**
   * The python that must import SUMO's `traci` and `libsumo` (default `/usr/bin/python3` when it
   * exists, else `python3` on PATH).
   */
  pythonCommand?: string;
  /** Environment to read `SUMO_HOME` and `PATH` from, and to run sumo and python with (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * What this machine offers, as announced to the coordinator: usable cores and memory (the smaller of
 * the machine's and its cgroup limits, so a container reports its quota, not the host's), SUMO, labels,
 * resources, and the number of worker processes (slots).
 *
 * SUMO: `sumoVersion` from `sumo --version` (sumo found on PATH); `sumoHome` (`$SUMO_HOME`, else
 * Debian's `/usr/share/sumo` when present); `sumoTools` when `$SUMO_HOME/tools/randomTrips.py` exists;
 * `sumoTraci` / `sumoLibsumo` when the python (see {@link ProbeCapacityOptions.pythonCommand}) imports
 * `traci` / `libsumo` with `SUMO_HOME` set and the tools on its path (one python run, at most 10 s).
 * Without a working `sumo` binary every SUMO field is empty or false: an agent whose PATH hides sumo
 * offers no SUMO. The probe never fails because of SUMO or python.
 *
 * @example
 * const capacity = await probeCapacity({ labels: { zone: 'a' } });
 * console.log(capacity.cpus, capacity.memoryMb, capacity.sumoVersion || 'no sumo');
 */
export async function probeCapacity(options: ProbeCapacityOptions = {}): Promise<pb.Capacity> {
  const env = options.env ?? process.env;
  const sumoHome = env.SUMO_HOME || (existsSync(DEBIAN_SUMO_HOME) ? DEBIAN_SUMO_HOME : '');
  // SUMO's version and its python modules are asked in parallel (python only needs SUMO_HOME); the
  // modules count only when sumo itself answered.
  const [cores, sumoVersion, python] = await Promise.all([
    options.cores ?? probeCores(options),
    probeSumoVersion(options.sumoCommand ?? 'sumo', env),
    probeSumoPython(options.pythonCommand ?? (existsSync(SYSTEM_PYTHON) ? SYSTEM_PYTHON : 'python3'), sumoHome, env),
  ]);
  const sumo = sumoVersion !== '';
  return {
    ...cores,
    sumoVersion,
    sumoHome: sumo ? sumoHome : '',
    sumoTools: sumo && sumoHome !== '' && existsSync(join(sumoHome, 'tools', 'randomTrips.py')),
    sumoTraci: sumo && python.traci,
    sumoLibsumo: sumo && python.libsumo,
    labels: { ...options.labels },
    resources: { ...options.resources },
    hostname: os.hostname(),
    platform: `${process.platform}-${process.arch}`,
    nodeVersion: process.version,
  };
}

/** The installed SUMO version, or '' when `sumo` is absent, fails or is not SUMO. */
function probeSumoVersion(command: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve) => {
    try {
      execFile(command, ['--version'], { env, timeout: SUMO_TIMEOUT_MS, windowsHide: true }, (_error, stdout) => {
        // sumo may exit non-zero on some builds while printing its banner: trust the banner, not the code.
        resolve(parseSumoVersion(String(stdout ?? '')));
      });
    } catch {
      resolve('');
    }
  });
}

/** Whether `python` imports SUMO's `traci` and `libsumo`; both false when it is absent, fails or times out. */
function probeSumoPython(python: string, sumoHome: string, env: NodeJS.ProcessEnv): Promise<{ traci: boolean; libsumo: boolean }> {
  const none = { traci: false, libsumo: false };
  const tools = sumoHome === '' ? '' : join(sumoHome, 'tools');
  return new Promise((resolve) => {
    try {
      execFile(
        python,
        ['-c', PYTHON_PROBE, tools],
        { env: { ...env, ...(sumoHome === '' ? {} : { SUMO_HOME: sumoHome }) }, timeout: PYTHON_TIMEOUT_MS, windowsHide: true, maxBuffer: 64 * 1024 },
        (error, stdout) => {
          if (error) return resolve(none);
          try {
            const found = JSON.parse(String(stdout).trim().split('\n').pop() ?? '') as Record<string, unknown>;
            resolve({ traci: found.traci === true, libsumo: found.libsumo === true });
          } catch {
            resolve(none);
          }
        },
      );
    } catch {
      resolve(none);
    }
  });
}
