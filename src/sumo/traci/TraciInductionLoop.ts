import { TRACI } from './TRACI.ts';
import type { TraciClient } from './TraciClient.ts';

/** Induction loop detectors (TraCI get command 0xa0), as `traci.inductionloop` in Python. */
export class TraciInductionLoop {
  readonly #client: TraciClient;

  constructor(client: TraciClient) {
    this.#client = client;
  }

  getIDList(): Promise<string[]> {
    return this.#client.getStringList(TRACI.command.getInductionLoopVariable, TRACI.variable.idList, '');
  }

  /** Vehicles that touched the loop during the last step. */
  getLastStepVehicleNumber(loopId: string): Promise<number> {
    return this.#client.getNumber(TRACI.command.getInductionLoopVariable, TRACI.variable.lastStepVehicleNumber, loopId);
  }

  /** Mean speed (m/s) of those vehicles; -1 when there were none. */
  getLastStepMeanSpeed(loopId: string): Promise<number> {
    return this.#client.getNumber(TRACI.command.getInductionLoopVariable, TRACI.variable.lastStepMeanSpeed, loopId);
  }

  /** Share of the last step during which the loop was occupied, in percent (0–100). */
  getLastStepOccupancy(loopId: string): Promise<number> {
    return this.#client.getNumber(TRACI.command.getInductionLoopVariable, TRACI.variable.lastStepOccupancy, loopId);
  }
}
