/** Tuning of the ALINEA feedback law; defaults are the textbook values. */
export interface AlineaSettings {
  /**
   * Occupancy the controller holds the merge area at, percent: just under the critical occupancy
   * where flow peaks. Default 18, measured for {@link buildOnRampScenario}'s merge-zone loops (the right
   * mainline lane carries most flow at 14-18 % and breaks down above 25 %).
   */
  targetOccupancy: number;
  /** Gain K_R, veh/h per percent of occupancy error. Papageorgiou et al. use 70. */
  gain: number;
  /** Ramp flow when the ramp light is always green, veh/h (one lane's saturation flow). */
  saturationFlow: number;
  /** Lowest and highest metering rate, veh/h. The floor keeps the ramp queue moving. */
  minRate: number;
  maxRate: number;
}

/**
 * ALINEA (Papageorgiou, Hadj-Salem, Blosseville 1991): each control interval, move the admitted
 * ramp flow toward the rate that keeps the occupancy downstream of the merge at its target,
 * `r(k) = r(k-1) + K_R (o* - o(k))`, clipped to [minRate, maxRate]. Pure: no SUMO in here.
 */
export class AlineaController {
  readonly settings: AlineaSettings;
  #rate: number;

  constructor(settings: Partial<AlineaSettings> = {}) {
    this.settings = {
      targetOccupancy: settings.targetOccupancy ?? 18,
      gain: settings.gain ?? 70,
      saturationFlow: settings.saturationFlow ?? 1800,
      minRate: settings.minRate ?? 200,
      maxRate: settings.maxRate ?? settings.saturationFlow ?? 1800,
    };
    this.#rate = this.settings.maxRate;
  }

  /** Current metering rate, veh/h. */
  get rate(): number {
    return this.#rate;
  }

  /** Share of the cycle the ramp light shows green, in (0, 1]. */
  get greenShare(): number {
    return Math.min(1, this.#rate / this.settings.saturationFlow);
  }

  /** Feeds the occupancy measured over the last interval (percent); returns the new rate. */
  update(measuredOccupancy: number): number {
    const { targetOccupancy, gain, minRate, maxRate } = this.settings;
    const next = this.#rate + gain * (targetOccupancy - measuredOccupancy);
    this.#rate = Math.min(maxRate, Math.max(minRate, next));
    return this.#rate;
  }
}
