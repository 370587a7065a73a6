import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateGridScenario, parseStatistics, runSumo, runSumoCommand, SumoOutputError } from '../../../src/sumo/index.ts';
import { sumoMissing } from './sumoMissing.ts';

const fixture = (name: string): Promise<string> => readFile(new URL(`../../fixtures/sumo/${name}`, import.meta.url), 'utf8');

describe('parseStatistics on fixtures', () => {
  it('reads every section of a SUMO 1.15 statistic output as numbers', async () => {
    const stats = parseStatistics(await fixture('statistics-grid-1.15.xml'));
    expect(stats.vehicles).toEqual({ loaded: 167, inserted: 167, running: 33, waiting: 0 });
    expect(stats.teleports).toEqual({ total: 0, jam: 0, yield: 0, wrongLane: 0 });
    expect(stats.safety).toEqual({ collisions: 0, emergencyStops: 0 });
    expect(stats.persons).toEqual({ loaded: 0, running: 0, jammed: 0 });
    expect(stats.vehicleTripStatistics).toEqual({
      count: 134,
      routeLength: 844.86,
      speed: 8.31,
      duration: 107.13,
      waitingTime: 28.13,
      timeLoss: 44.21,
      departDelay: 0.4,
      departDelayWaiting: -1,
      totalTravelTime: 14356,
      totalDepartDelay: 53.8,
    });
    // Sections the type does not name are kept, e.g. for a sweep's CSV.
    expect(stats.sections.pedestrianStatistics).toEqual({ number: 0, routeLength: 0, duration: 0, timeLoss: 0 });
  });

  it('leaves out what the file does not contain', async () => {
    const stats = parseStatistics(await fixture('statistics-no-trips.xml'));
    expect(stats.vehicles).toEqual({ loaded: 12, inserted: 10, running: 3, waiting: 2 });
    expect(stats.teleports).toEqual({ total: 1, jam: 1, yield: 0 });
    expect(stats.teleports.wrongLane).toBeUndefined();
    expect(stats.safety.emergencyStops).toBe(4);
    expect(stats.persons).toBeUndefined();
    expect(stats.vehicleTripStatistics).toBeUndefined();
  });

  it('rejects what is not a statistic output with a typed error', () => {
    expect(() => parseStatistics('<summary><step time="0"/></summary>')).toThrow(SumoOutputError);
    expect(() => parseStatistics('')).toThrow(SumoOutputError);
  });
});

describe.skipIf(sumoMissing)('parseStatistics on real SUMO output', () => {
  let dir = '';
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('parses what sumo writes for --statistic-output', async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-sumo-stats-'));
    const grid = await generateGridScenario({ dir, gridNumber: 3, gridLength: 200, vehicles: 150, end: 600, seed: 42 });
    await runSumoCommand('sumo', ['-c', grid.cfg, '--seed', '7', '--statistic-output', 'stats.xml'], { cwd: dir });
    const stats = parseStatistics(await readFile(join(dir, 'stats.xml'), 'utf8'));
    expect(stats.vehicles.loaded).toBeGreaterThan(100);
    expect(stats.vehicles.inserted).toBeLessThanOrEqual(stats.vehicles.loaded!);
    expect(stats.teleports.total).toBeTypeOf('number');
    expect(stats.safety.collisions).toBe(0);
    const trips = stats.vehicleTripStatistics!;
    expect(trips.count).toBeGreaterThan(0);
    expect(trips.timeLoss).toBeGreaterThan(0);
    expect(trips.totalTravelTime).toBeCloseTo(trips.count! * trips.duration!, -3);

    // runSumo does the same in a scratch folder of its own.
    const run = await runSumo({ cfg: grid.cfg, seed: 7 });
    expect(run.statistics.vehicleTripStatistics).toEqual(trips);
  });
});
