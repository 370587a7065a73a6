import { TRACI } from './TRACI.ts';
import type { TraciClient } from './TraciClient.ts';

/** Traffic lights (TraCI get 0xa2, set 0xc2), as `traci.trafficlight` in Python. */
export class TraciTrafficLight {
  readonly #client: TraciClient;

  constructor(client: TraciClient) {
    this.#client = client;
  }

  getIDList(): Promise<string[]> {
    return this.#client.getStringList(TRACI.command.getTrafficLightVariable, TRACI.variable.idList, '');
  }

  /** One character per controlled link: `G`/`g` green, `y` yellow, `r` red, `o`/`O` off... */
  getRedYellowGreenState(tlsId: string): Promise<string> {
    return this.#client.getString(TRACI.command.getTrafficLightVariable, TRACI.variable.redYellowGreenState, tlsId);
  }

  /** Overrides the light's program with a fixed state until the next call (or a program switch). */
  setRedYellowGreenState(tlsId: string, state: string): Promise<void> {
    return this.#client.setVariable(TRACI.command.setTrafficLightVariable, TRACI.variable.redYellowGreenState, tlsId, (w) => {
      w.typedString(state);
    });
  }
}
