/**
 * SUMO's `--statistic-output` file as numbers. Every field is optional because SUMO writes only
 * what its version knows and what the run produced: `vehicleTripStatistics` needs
 * `--duration-log.statistics` or `--tripinfo-output`; `persons` appears only in some versions.
 * Averages are per finished trip; `departDelayWaiting` is -1 when no vehicle was left waiting.
 */
export interface SumoStatistics {
  vehicles: {
    loaded?: number;
    inserted?: number;
    /** Still on the network when the simulation ended. */
    running?: number;
    /** Still waiting for insertion when the simulation ended. */
    waiting?: number;
  };
  teleports: {
    total?: number;
    jam?: number;
    yield?: number;
    wrongLane?: number;
  };
  safety: {
    collisions?: number;
    emergencyStops?: number;
  };
  persons?: {
    loaded?: number;
    running?: number;
    jammed?: number;
  };
  vehicleTripStatistics?: {
    /** Finished trips the averages are taken over. */
    count?: number;
    /** Mean route length, m. */
    routeLength?: number;
    /** Mean speed, m/s. */
    speed?: number;
    /** Mean trip duration, s. */
    duration?: number;
    waitingTime?: number;
    /** Mean time lost against driving at the desired speed, s. */
    timeLoss?: number;
    departDelay?: number;
    departDelayWaiting?: number;
    /** Sum of trip durations, s. */
    totalTravelTime?: number;
    totalDepartDelay?: number;
  };
  /**
   * Every element of the file with its attributes as written, numbers where they parse: the
   * sections above and any this type does not name (`pedestrianStatistics`, newer SUMO's additions).
   */
  sections: Record<string, Record<string, number | string>>;
}
