import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ON_RAMP } from './ON_RAMP.ts';
import { runSumoCommand } from './runSumoCommand.ts';
import { writeSumoConfig } from './writeSumoConfig.ts';

/** One stretch of the demand profile: until `until` × end, flows run at `factor` × peak. */
export interface DemandPeriod {
  until: number;
  factor: number;
}

/** The on-ramp merge to build. */
export interface OnRampScenarioOptions {
  /** Folder to write into (created if missing). */
  dir: string;
  /** Peak mainline demand, veh/h over both lanes. */
  mainlineFlow: number;
  /** Peak on-ramp demand, veh/h. */
  rampFlow: number;
  /** When demand stops, s. The simulation runs on until the last vehicle has left. */
  end: number;
  /** Default seed written into the `.sumocfg`; each run's `--seed` overrides it. */
  seed?: number;
  /**
   * Shape of the demand over [0, end]. Default: a shoulder at 70 % for the first quarter, the peak
   * for the middle half, 60 % for the last quarter, so a queue builds up and then drains.
   */
  profile?: readonly DemandPeriod[];
  /** Length of the acceleration lane beside the mainline after the merge, m. Default 250. */
  accelerationLaneLength?: number;
  /** `netconvert` on PATH by default. */
  netconvertBinary?: string;
  signal?: AbortSignal;
}

/** Files and ids of a built on-ramp scenario. Paths are absolute. */
export interface OnRampScenario {
  dir: string;
  cfg: string;
  net: string;
  routes: string;
  additional: string;
  /** Induction loop ids: `downstream` (mainline after the merge), `upstream` (mainline before it), `ramp`. */
  loops: { downstream: string[]; upstream: string[]; ramp: string[] };
  /** Id of the traffic light on the ramp just before the merge (one signal: state `G` or `r`). */
  rampLight: string;
}

const DEFAULT_PROFILE: readonly DemandPeriod[] = [
  { until: 0.25, factor: 0.7 },
  { until: 0.75, factor: 1 },
  { until: 1, factor: 0.6 },
];

/** Speeds: a 100 km/h motorway, a 60 km/h ramp. */
const MAINLINE_SPEED = 27.78;
const RAMP_SPEED = 16.67;

/**
 * Builds an on-ramp merge from hand-written node, edge, connection and traffic-light files with
 * `netconvert` (nothing downloaded): a two-lane mainline (2 km), a one-lane ramp (about 600 m)
 * with a traffic light 60 m before the merge, an acceleration lane that ends `accelerationLaneLength`
 * after the merge, and 1.5 km of two-lane mainline after it. Induction loops sit on the mainline
 * 50 m after the acceleration lane ends (the ALINEA measurement point), on the mainline 500 m
 * before the merge and on the ramp 20 m before its light. Demand is Poisson flows
 * (`period="exp(rate)"`), so each `--seed` draws different arrivals. The ramp light's own program is
 * all green: a plain `sumo` run of the scenario is the uncontrolled case.
 *
 * With mainlineFlow 3400 and rampFlow 1200 veh/h the merge breaks down in the peak without
 * control (mainline speeds fall from 24 to about 5 m/s upstream of it).
 */
export async function buildOnRampScenario(options: OnRampScenarioOptions): Promise<OnRampScenario> {
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const acceleration = options.accelerationLaneLength ?? 250;
  const { edge, node } = ON_RAMP;
  const path = (name: string): string => join(dir, name);

  await writeFile(
    path('onramp.nod.xml'),
    `<nodes>
  <node id="${node.mainlineStart}" x="-2000" y="0"/>
  <node id="${node.merge}" x="0" y="0" type="priority"/>
  <node id="${node.laneDrop}" x="${acceleration}" y="0" type="priority"/>
  <node id="${node.mainlineEnd}" x="${acceleration + 1500}" y="0"/>
  <node id="${node.rampStart}" x="-600" y="-150"/>
  <node id="${node.rampMeter}" x="-60" y="-15" type="traffic_light" tl="${ON_RAMP.rampLight}"/>
</nodes>
`,
  );
  await writeFile(
    path('onramp.edg.xml'),
    `<edges>
  <edge id="${edge.mainlineIn}" from="${node.mainlineStart}" to="${node.merge}" numLanes="2" speed="${MAINLINE_SPEED}" priority="3"/>
  <edge id="${edge.mergeZone}" from="${node.merge}" to="${node.laneDrop}" numLanes="3" speed="${MAINLINE_SPEED}" priority="3"/>
  <edge id="${edge.mainlineOut}" from="${node.laneDrop}" to="${node.mainlineEnd}" numLanes="2" speed="${MAINLINE_SPEED}" priority="3"/>
  <edge id="${edge.ramp}" from="${node.rampStart}" to="${node.rampMeter}" numLanes="1" speed="${RAMP_SPEED}" priority="1"/>
  <edge id="${edge.rampEntry}" from="${node.rampMeter}" to="${node.merge}" numLanes="1" speed="${RAMP_SPEED}" priority="1"/>
</edges>
`,
  );
  // The ramp feeds the acceleration lane (lane 0 of the merge zone), which ends at the lane drop:
  // ramp traffic must find a gap in the mainline's right lane within `acceleration` metres.
  await writeFile(
    path('onramp.con.xml'),
    `<connections>
  <connection from="${edge.mainlineIn}" to="${edge.mergeZone}" fromLane="0" toLane="1"/>
  <connection from="${edge.mainlineIn}" to="${edge.mergeZone}" fromLane="1" toLane="2"/>
  <connection from="${edge.rampEntry}" to="${edge.mergeZone}" fromLane="0" toLane="0"/>
  <connection from="${edge.mergeZone}" to="${edge.mainlineOut}" fromLane="1" toLane="0"/>
  <connection from="${edge.mergeZone}" to="${edge.mainlineOut}" fromLane="2" toLane="1"/>
  <connection from="${edge.ramp}" to="${edge.rampEntry}" fromLane="0" toLane="0"/>
</connections>
`,
  );
  await writeFile(
    path('onramp.tll.xml'),
    `<tlLogics>
  <tlLogic id="${ON_RAMP.rampLight}" type="static" programID="0" offset="0">
    <phase duration="86400" state="G"/>
  </tlLogic>
</tlLogics>
`,
  );
  const net = path('onramp.net.xml');
  await runSumoCommand(
    options.netconvertBinary ?? 'netconvert',
    [
      '--node-files', 'onramp.nod.xml',
      '--edge-files', 'onramp.edg.xml',
      '--connection-files', 'onramp.con.xml',
      '--tllogic-files', 'onramp.tll.xml',
      '--output-file', 'onramp.net.xml',
      '--no-warnings',
    ],
    { cwd: dir, signal: options.signal },
  );

  const { loops } = ON_RAMP;
  const additional = path('onramp.add.xml');
  // file="NUL": SUMO's name for "no output"; the loops are read over TraCI.
  const loop = (id: string, lane: string, pos: number): string =>
    `  <inductionLoop id="${id}" lane="${lane}" pos="${pos}" period="60" file="NUL"/>`;
  await writeFile(
    additional,
    [
      '<additional>',
      // Lanes 1 and 2 of the merge zone are the mainline's, beside the acceleration lane.
      ...loops.downstream.map((id, lane) => loop(id, `${edge.mergeZone}_${lane + 1}`, Math.round(acceleration * 0.6))),
      ...loops.upstream.map((id, lane) => loop(id, `${edge.mainlineIn}_${lane}`, -500)),
      ...loops.ramp.map((id, lane) => loop(id, `${edge.ramp}_${lane}`, -20)),
      '</additional>',
      '',
    ].join('\n'),
  );

  const routes = path('onramp.rou.xml');
  const profile = options.profile ?? DEFAULT_PROFILE;
  const flows: string[] = [];
  let begin = 0;
  for (const [index, period] of profile.entries()) {
    const until = Math.round(period.until * options.end);
    if (until <= begin) continue;
    for (const [name, route, peak] of [
      ['mainline', 'mainline', options.mainlineFlow],
      ['ramp', 'onramp', options.rampFlow],
    ] as const) {
      const perSecond = (peak * period.factor) / 3600;
      if (perSecond <= 0) continue;
      flows.push(
        `  <flow id="${name}_${index}" type="car" route="${route}" begin="${begin}" end="${until}" period="exp(${perSecond.toFixed(6)})" departLane="free" departSpeed="max"/>`,
      );
    }
    begin = until;
  }
  await writeFile(
    routes,
    [
      '<routes>',
      '  <vType id="car" vClass="passenger"/>',
      `  <route id="mainline" edges="${edge.mainlineIn} ${edge.mergeZone} ${edge.mainlineOut}"/>`,
      `  <route id="onramp" edges="${edge.ramp} ${edge.rampEntry} ${edge.mergeZone} ${edge.mainlineOut}"/>`,
      ...flows,
      '</routes>',
      '',
    ].join('\n'),
  );

  const cfg = await writeSumoConfig({
    path: path('onramp.sumocfg'),
    net,
    routes: [routes],
    additional: [additional],
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  return {
    dir,
    cfg,
    net,
    routes,
    additional,
    loops: { downstream: [...loops.downstream], upstream: [...loops.upstream], ramp: [...loops.ramp] },
    rampLight: ON_RAMP.rampLight,
  };
}
