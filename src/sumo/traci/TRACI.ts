/**
 * TraCI protocol numbers used by drover's client, as in SUMO's `tools/traci/constants.py`.
 * A "get" command `0xaX` is answered by response `0xbX` (command + 0x10).
 */
export const TRACI = {
  command: {
    getVersion: 0x00,
    simulationStep: 0x02,
    close: 0x7f,
    getInductionLoopVariable: 0xa0,
    getTrafficLightVariable: 0xa2,
    getSimulationVariable: 0xab,
    setTrafficLightVariable: 0xc2,
  },
  /** Offset from a get command to its response id. */
  responseOffset: 0x10,
  status: { ok: 0x00, notImplemented: 0x01, error: 0xff },
  type: {
    ubyte: 0x07,
    byte: 0x08,
    int: 0x09,
    double: 0x0b,
    string: 0x0c,
    stringList: 0x0e,
    compound: 0x0f,
    doubleList: 0x10,
  },
  variable: {
    idList: 0x00,
    idCount: 0x01,
    lastStepVehicleNumber: 0x10,
    lastStepMeanSpeed: 0x11,
    lastStepOccupancy: 0x13,
    redYellowGreenState: 0x20,
    time: 0x66,
    minExpectedVehicles: 0x7d,
  },
} as const;
