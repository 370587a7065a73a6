/**
 * Fixed ids of the scenario {@link buildOnRampScenario} writes, so a controller running on another
 * machine (a drover task given only the scenario folder) knows what to read and switch.
 */
export const ON_RAMP = {
  rampLight: 'ramp_meter',
  loops: {
    downstream: ['downstream_0', 'downstream_1'],
    upstream: ['upstream_0', 'upstream_1'],
    ramp: ['ramp_0'],
  },
  edge: {
    mainlineIn: 'mainline_in',
    mergeZone: 'merge_zone',
    mainlineOut: 'mainline_out',
    ramp: 'ramp',
    rampEntry: 'ramp_entry',
  },
  node: {
    mainlineStart: 'mainline_start',
    merge: 'merge',
    laneDrop: 'lane_drop',
    mainlineEnd: 'mainline_end',
    rampStart: 'ramp_start',
    rampMeter: 'ramp_meter',
  },
} as const;
