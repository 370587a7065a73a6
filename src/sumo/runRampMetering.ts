import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AlineaController, type AlineaSettings } from './AlineaController.ts';
import { SumoOutputError } from './errors/SumoOutputError.ts';
import { ON_RAMP } from './ON_RAMP.ts';
import { parseStatistics } from './parseStatistics.ts';
import { startSumoWithTraci } from './startSumoWithTraci.ts';
import type { SumoStatistics } from './SumoStatistics.ts';

/** One run of an on-ramp scenario, with or without the ramp meter. */
export interface RampMeteringOptions {
  /** The scenario's `.sumocfg` (from {@link buildOnRampScenario} or with the same ids). */
  cfg: string;
  seed: number;
  /** false: the ramp light stays green. true: ALINEA drives it. */
  controlled: boolean;
  sumoBinary?: string;
  /**
   * Where SUMO runs and writes its statistic output. Default: a fresh temporary folder, removed
   * afterwards, so parallel runs over one shared scenario folder never collide.
   */
  workDir?: string;
  /** Induction loops whose mean occupancy ALINEA holds at its target. Default: the scenario's downstream loops. */
  downstreamLoops?: readonly string[];
  /** Default: the scenario's ramp light. */
  rampLight?: string;
  /** Seconds between controller updates (ALINEA's T). Default 30. */
  controlInterval?: number;
  /** Length of one ramp-light cycle (green, yellow, red), s. Default 12. */
  cycle?: number;
  /** Yellow at the end of each green, s. Default 2. */
  yellow?: number;
  alinea?: Partial<AlineaSettings>;
  /** Stop at this simulation time even if vehicles remain (safety net). Default 86 400 s. */
  maxTime?: number;
  /** More SUMO arguments, e.g. `['--tripinfo-output', 'trips.xml']` (relative to `workDir`). */
  extraArgs?: readonly string[];
  /** Aborting stops SUMO (a drover task passes its context's signal). */
  signal?: AbortSignal;
  /** Run SUMO in its own process group and report its pid (a drover task passes `context.trackChildProcess`). */
  onSpawn?: (pid: number) => void;
}

/** What a run reports: SUMO's statistics and the controller's own figures. */
export interface RampMeteringResult {
  seed: number;
  controlled: boolean;
  statistics: SumoStatistics;
  controller: {
    /** Simulation steps taken. */
    steps: number;
    /** Simulation time at the end, s. */
    simulatedSeconds: number;
    /** Mean over steps of the downstream loops' mean occupancy, percent. */
    meanDownstreamOccupancy: number;
    /** Time-weighted share of green (and yellow) on the ramp light; 1 when uncontrolled. */
    meanGreenShare: number;
    /** Metering rate at the end, veh/h (controlled runs). */
    finalRate?: number;
    /** Controller updates made. */
    updates: number;
  };
  /** Wall time of the run including SUMO's start, ms. */
  wallMs: number;
}

/**
 * Runs one simulation of an on-ramp scenario through drover's TraCI client and returns SUMO's
 * statistics and the controller's figures. Uncontrolled, the ramp light stays green. Controlled,
 * an ALINEA controller reads the downstream loops' occupancy every step, and every
 * `controlInterval` seconds turns it into a metering rate, shown as the green share of a
 * fixed-length light cycle. Steps until no vehicle is expected any more. Deterministic for a seed.
 *
 * Plain Node (no native code, no files beside the module): safe inside a drover task worker.
 *
 * @example
 * const off = await runRampMetering({ cfg: scenario.cfg, seed: 1, controlled: false });
 * const on = await runRampMetering({ cfg: scenario.cfg, seed: 1, controlled: true });
 * console.log(off.statistics.vehicleTripStatistics?.timeLoss, on.statistics.vehicleTripStatistics?.timeLoss);
 */
export async function runRampMetering(options: RampMeteringOptions): Promise<RampMeteringResult> {
  const started = performance.now();
  const cfg = resolve(options.cfg);
  const ownWorkDir = options.workDir === undefined;
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'drover-ramp-')));
  const statisticsFile = join(workDir, `statistics.seed${options.seed}.${options.controlled ? 'controlled' : 'uncontrolled'}.xml`);
  const loops = options.downstreamLoops ?? ON_RAMP.loops.downstream;
  const light = options.rampLight ?? ON_RAMP.rampLight;
  const controlInterval = options.controlInterval ?? 30;
  const cycle = options.cycle ?? 12;
  const yellow = options.yellow ?? 2;
  const maxTime = options.maxTime ?? 86_400;
  const controller = options.controlled ? new AlineaController(options.alinea) : undefined;

  try {
    await using sumo = await startSumoWithTraci({
      ...(options.sumoBinary ? { sumoBinary: options.sumoBinary } : {}),
      ...(options.onSpawn ? { onSpawn: options.onSpawn } : {}),
      args: [
        '-c', cfg,
        '--seed', String(options.seed),
        '--statistic-output', statisticsFile,
        '--duration-log.statistics', 'true',
        '--no-step-log', 'true',
        '--no-warnings', 'true',
        ...(options.extraArgs ?? []),
      ],
      cwd: workDir,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const { client } = sumo;

    let steps = 0;
    let occupancySum = 0;
    let intervalOccupancySum = 0;
    let intervalSteps = 0;
    let greenSteps = 0;
    let updates = 0;
    let shownState = '';
    // One signal character per link the light controls (one per ramp lane).
    const links = (await client.trafficLight.getRedYellowGreenState(light)).length;
    const show = (signal: 'G' | 'y' | 'r'): string => signal.repeat(links);
    let time = await client.simulation.getTime();
    let lastUpdate = time;
    for (;;) {
      options.signal?.throwIfAborted();
      // Where in the light cycle the coming step falls decides the state it runs under.
      let signal: 'G' | 'y' | 'r' = 'G';
      if (controller) {
        const greenAndYellow = controller.greenShare * cycle;
        const inCycle = time % cycle;
        signal = greenAndYellow >= cycle ? 'G' : inCycle < greenAndYellow - yellow ? 'G' : inCycle < greenAndYellow ? 'y' : 'r';
      }
      const state = show(signal);
      const commands: Promise<unknown>[] = [];
      if (state !== shownState) {
        commands.push(client.trafficLight.setRedYellowGreenState(light, state));
        shownState = state;
      }
      if (signal !== 'r') greenSteps++;
      // Pipelined: one round trip per step for the step and all its reads.
      const step = client.simulationStep();
      const expected = client.simulation.getMinExpectedVehicles();
      const now = client.simulation.getTime();
      const occupancies = loops.map((id) => client.inductionLoop.getLastStepOccupancy(id));
      // Awaited together, so that when one fails (an abort kills SUMO) the others' rejections are handled too.
      const [, , remaining, after, ...values] = await Promise.all([Promise.all(commands), step, expected, now, ...occupancies]);
      steps++;
      time = after;
      const occupancy = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
      occupancySum += occupancy;
      intervalOccupancySum += occupancy;
      intervalSteps++;
      if (controller && time - lastUpdate >= controlInterval - 1e-9) {
        controller.update(intervalOccupancySum / intervalSteps);
        lastUpdate = time;
        updates++;
        intervalOccupancySum = 0;
        intervalSteps = 0;
      }
      if (remaining === 0 || time >= maxTime) break;
    }
    await sumo.finish();

    let xml: string;
    try {
      xml = await readFile(statisticsFile, 'utf8');
    } catch (error) {
      throw new SumoOutputError(`SUMO wrote no statistic output at ${statisticsFile}`, { cause: error });
    }
    return {
      seed: options.seed,
      controlled: options.controlled,
      statistics: parseStatistics(xml),
      controller: {
        steps,
        simulatedSeconds: time,
        meanDownstreamOccupancy: occupancySum / Math.max(1, steps),
        meanGreenShare: greenSteps / Math.max(1, steps),
        ...(controller ? { finalRate: controller.rate } : {}),
        updates,
      },
      wallMs: performance.now() - started,
    };
  } catch (error) {
    // An abort kills SUMO; report the abort, not the dead process it leaves behind.
    if (options.signal?.aborted) throw options.signal.reason;
    throw error;
  } finally {
    if (ownWorkDir) await rm(workDir, { recursive: true, force: true });
  }
}
