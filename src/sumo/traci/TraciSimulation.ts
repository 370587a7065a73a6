import { TRACI } from './TRACI.ts';
import type { TraciClient } from './TraciClient.ts';

/** Simulation-wide variables (TraCI get command 0xab), as `traci.simulation` in Python. */
export class TraciSimulation {
  readonly #client: TraciClient;

  constructor(client: TraciClient) {
    this.#client = client;
  }

  /** Current simulation time in seconds. */
  getTime(): Promise<number> {
    return this.#client.getNumber(TRACI.command.getSimulationVariable, TRACI.variable.time, '');
  }

  /**
   * Vehicles running plus those still waiting to be inserted: 0 means the demand is exhausted
   * and the simulation can end. (Python's client calls it `getMinExpectedNumber`.)
   */
  getMinExpectedVehicles(): Promise<number> {
    return this.#client.getNumber(TRACI.command.getSimulationVariable, TRACI.variable.minExpectedVehicles, '');
  }
}
