/**
 * SUMO as a first-class drover workload: build scenarios (a grid city, an on-ramp merge), run
 * SUMO with a seed and get its `--statistic-output` as typed numbers, and control a running
 * simulation from TypeScript through drover's own TraCI client (step, read induction loops, switch
 * traffic lights), as the ramp-metering controller here does. Failures are typed and carry a
 * `retryable` flag: SUMO crashes and TraCI port races may be retried, a refused scenario may not.
 *
 * Everything runs in a plain Node process (no native code, no files read beside the module), so it
 * works inside a drover task worker. `SUMO_HOME` is set for every SUMO process (Debian's package
 * does not set it, and SUMO then fails offline).
 *
 * @example
 * // node example.ts — needs `sumo` and `netconvert` on PATH (Debian: apt-get install sumo sumo-tools)
 * import { mkdtemp } from 'node:fs/promises';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { buildOnRampScenario, runRampMetering } from './src/sumo/index.ts';
 *
 * const scenario = await buildOnRampScenario({
 *   dir: await mkdtemp(join(tmpdir(), 'onramp-')), mainlineFlow: 3400, rampFlow: 1200, end: 3600,
 * });
 * for (const controlled of [false, true]) {
 *   const run = await runRampMetering({ cfg: scenario.cfg, seed: 1, controlled });
 *   console.log(controlled ? 'ALINEA' : 'no control', run.statistics.vehicleTripStatistics?.timeLoss,
 *     run.controller.meanGreenShare);
 * }
 *
 * @module
 */
export { parseStatistics } from './parseStatistics.ts';
export type { SumoStatistics } from './SumoStatistics.ts';
export { runSumo, type RunSumoOptions, type RunSumoResult } from './runSumo.ts';
export { runSumoCommand } from './runSumoCommand.ts';
export { SumoProcess, type SumoProcessOptions } from './SumoProcess.ts';
export type { SumoExit } from './SumoExit.ts';
export { sumoEnvironment } from './sumoEnvironment.ts';
export { classifySumoExit } from './classifySumoExit.ts';
export { isRetryableSumoFailure } from './isRetryableSumoFailure.ts';
export { startSumoWithTraci, type StartSumoWithTraciOptions, type SumoWithTraci } from './startSumoWithTraci.ts';
export { pickFreePort } from './pickFreePort.ts';

export { generateGridScenario, type GridScenarioOptions, type GridScenario } from './generateGridScenario.ts';
export { buildOnRampScenario, type OnRampScenarioOptions, type OnRampScenario, type DemandPeriod } from './buildOnRampScenario.ts';
export { ON_RAMP } from './ON_RAMP.ts';
export { writeSumoConfig, type SumoConfigContents } from './writeSumoConfig.ts';
export { runRampMetering, type RampMeteringOptions, type RampMeteringResult } from './runRampMetering.ts';
export { AlineaController, type AlineaSettings } from './AlineaController.ts';

export { TraciClient, type TraciConnectOptions, type TraciVersion } from './traci/TraciClient.ts';
export type { TraciValue } from './traci/TraciValue.ts';
export { TraciWriter } from './traci/TraciWriter.ts';
export { TraciReader } from './traci/TraciReader.ts';
export { TRACI } from './traci/TRACI.ts';

export { SumoError, type SumoErrorOptions } from './errors/SumoError.ts';
export { SumoCrashError } from './errors/SumoCrashError.ts';
export { SumoScenarioError } from './errors/SumoScenarioError.ts';
export { SumoOutputError } from './errors/SumoOutputError.ts';
export { TraciError, type TraciErrorOptions } from './traci/TraciError.ts';
export { TraciConnectionError, type TraciConnectionErrorOptions } from './traci/TraciConnectionError.ts';
export { TraciProtocolError } from './traci/TraciProtocolError.ts';
