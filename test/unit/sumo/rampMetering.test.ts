import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlineaController, buildOnRampScenario, runRampMetering, type OnRampScenario, type RampMeteringResult } from '../../../src/sumo/index.ts';
import { sumoMissing } from './sumoMissing.ts';

describe('AlineaController', () => {
  it('lowers the metering rate while occupancy is above target and raises it below, within bounds', () => {
    const alinea = new AlineaController({ targetOccupancy: 18, gain: 70, saturationFlow: 1800, minRate: 200 });
    expect(alinea.rate).toBe(1800);
    expect(alinea.greenShare).toBe(1);
    expect(alinea.update(28)).toBe(1800 - 700);
    expect(alinea.greenShare).toBeCloseTo(1100 / 1800);
    for (let i = 0; i < 10; i++) alinea.update(40);
    expect(alinea.rate).toBe(200);
    expect(alinea.update(8)).toBe(900);
    for (let i = 0; i < 10; i++) alinea.update(0);
    expect(alinea.rate).toBe(1800);
  });
});

describe.skipIf(sumoMissing)('runRampMetering', () => {
  let dir = '';
  let scenario: OnRampScenario;
  // Peak demand from the start so the merge breaks down within a short run.
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-ramp-metering-'));
    scenario = await buildOnRampScenario({ dir, mainlineFlow: 3400, rampFlow: 1200, end: 900, profile: [{ until: 1, factor: 1 }] });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const withoutWallTime = ({ wallMs: _, ...rest }: RampMeteringResult): Omit<RampMeteringResult, 'wallMs'> => rest;

  it('is deterministic for equal seeds, and control changes the outcome', async () => {
    const first = await runRampMetering({ cfg: scenario.cfg, seed: 1, controlled: true });
    const again = await runRampMetering({ cfg: scenario.cfg, seed: 1, controlled: true });
    const uncontrolled = await runRampMetering({ cfg: scenario.cfg, seed: 1, controlled: false });

    expect(withoutWallTime(again)).toEqual(withoutWallTime(first));

    expect(uncontrolled.controller.meanGreenShare).toBe(1);
    expect(uncontrolled.controller.updates).toBe(0);
    expect(first.controller.meanGreenShare).toBeLessThan(1);
    expect(first.controller.updates).toBeGreaterThan(20);
    expect(first.controller.finalRate).toBeGreaterThan(0);
    expect(first.statistics.vehicleTripStatistics).not.toEqual(uncontrolled.statistics.vehicleTripStatistics);
    // Every vehicle arrives either way: the runs end when none is expected any more.
    for (const run of [first, uncontrolled]) {
      expect(run.statistics.vehicles.running).toBe(0);
      expect(run.statistics.vehicles.waiting).toBe(0);
      expect(run.controller.simulatedSeconds).toBeGreaterThan(900);
      expect(run.controller.steps).toBe(run.controller.simulatedSeconds);
    }
    // The same demand was served: metering delays ramp vehicles, it does not drop them.
    expect(first.statistics.vehicles.loaded).toBe(uncontrolled.statistics.vehicles.loaded);
  });

  it('stops SUMO and rejects with the reason when aborted', async () => {
    const controller = new AbortController();
    const run = runRampMetering({ cfg: scenario.cfg, seed: 2, controlled: true, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('job cancelled')), 150);
    await expect(run).rejects.toThrow('job cancelled');
  });
});
