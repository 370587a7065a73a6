import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnRampScenario, generateGridScenario, ON_RAMP, runSumo } from '../../../src/sumo/index.ts';
import { sumoMissing } from './sumoMissing.ts';

describe('generateGridScenario arguments', () => {
  it('wants exactly one of vehicles and insertionRate', async () => {
    await expect(generateGridScenario({ dir: tmpdir(), gridNumber: 2, gridLength: 100, end: 60, seed: 1 })).rejects.toThrow(TypeError);
  });
});

describe.skipIf(sumoMissing)('scenario generation', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'drover-scenarios-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('generates a grid city that sumo runs, the same for the same seed', async () => {
    const options = { gridNumber: 3, gridLength: 200, vehicles: 200, end: 600, seed: 11 };
    const [grid, twin] = await Promise.all([
      generateGridScenario({ dir: join(root, 'grid'), ...options }),
      generateGridScenario({ dir: join(root, 'grid-twin'), ...options }),
    ]);
    const cfg = await readFile(grid.cfg, 'utf8');
    expect(cfg).toContain('<net-file value="net.net.xml"/>');
    expect(cfg).toContain('<xml-validation value="never"/>');
    expect(cfg).toContain('<end value="600"/>');
    // randomTrips with a fixed seed: the same vehicles (its header comment carries a date).
    const vehicles = async (path: string): Promise<string[]> => (await readFile(path, 'utf8')).match(/<vehicle [^>]*>/g) ?? [];
    expect(await vehicles(grid.routes)).toEqual(await vehicles(twin.routes));
    expect((await vehicles(grid.routes)).length).toBeGreaterThan(150);

    const [a, b, other] = await Promise.all([
      runSumo({ cfg: grid.cfg, seed: 3 }),
      runSumo({ cfg: twin.cfg, seed: 3 }),
      runSumo({ cfg: grid.cfg, seed: 4 }),
    ]);
    expect(a.statistics.vehicles.loaded).toBeGreaterThan(150);
    expect(a.statistics.vehicleTripStatistics?.count).toBeGreaterThan(50);
    expect(a.statistics.sections).toEqual(b.statistics.sections);
    expect(other.statistics.vehicleTripStatistics).not.toEqual(a.statistics.vehicleTripStatistics);
  });

  it('builds an on-ramp merge with a ramp light and loops that sumo runs, from any folder', async () => {
    const scenario = await buildOnRampScenario({ dir: join(root, 'onramp'), mainlineFlow: 3000, rampFlow: 800, end: 300, seed: 2 });
    expect(scenario.rampLight).toBe(ON_RAMP.rampLight);
    expect(scenario.loops.downstream).toEqual([...ON_RAMP.loops.downstream]);
    const net = await readFile(scenario.net, 'utf8');
    expect(net).toMatch(new RegExp(`<tlLogic id="${ON_RAMP.rampLight}"`));
    expect(net).toMatch(/<edge id="merge_zone"[^>]*>\s*<lane id="merge_zone_0"[\s\S]*merge_zone_2/);
    const additional = await readFile(scenario.additional, 'utf8');
    for (const loop of [...scenario.loops.downstream, ...scenario.loops.upstream, ...scenario.loops.ramp]) expect(additional).toContain(`id="${loop}"`);

    // The folder is self-contained: staged elsewhere (as on an agent), it runs the same.
    const staged = join(root, 'staged');
    await cp(scenario.dir, staged, { recursive: true });
    await rm(scenario.dir, { recursive: true });
    const run = await runSumo({ cfg: join(staged, 'onramp.sumocfg'), seed: 2 });
    const { vehicles, vehicleTripStatistics } = run.statistics;
    // Poisson flows of 3000 + 800 veh/h over 300 s: about 317 vehicles, all of them arrived.
    expect(vehicles.loaded).toBeGreaterThan(220);
    expect(vehicles.loaded).toBeLessThan(420);
    expect(vehicles.running).toBe(0);
    expect(vehicles.waiting).toBe(0);
    expect(vehicleTripStatistics?.count).toBe(vehicles.loaded);
    expect(vehicleTripStatistics?.routeLength).toBeGreaterThan(3000);
  });
});
