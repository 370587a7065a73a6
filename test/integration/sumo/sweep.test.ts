// SUMO on the cluster: a sweep of real runs on a generated grid, statistics parsed, equal seeds equal.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, summarizeSweep, type Pool, type SumoRunResult } from '../../../src/sdk/index.ts';
import { generateGridScenario } from '../../../src/sumo/index.ts';
import { ProcessCluster } from '../ProcessCluster.ts';
import { sumoAvailable } from '../sumoAvailable.ts';

const hasSumo = sumoAvailable('SUMO sweep tests');

let cluster: ProcessCluster;
let pool: Pool;
let dir: string;
let cfg: string;

beforeAll(async () => {
  if (!hasSumo) return;
  dir = await mkdtemp(join(tmpdir(), 'drover-sweep-'));
  const scenario = await generateGridScenario({ dir, gridNumber: 3, gridLength: 150, vehicles: 150, end: 600, seed: 42 });
  cfg = scenario.cfg;
  cluster = await ProcessCluster.start({ agents: 1, processes: 2 });
  pool = await connect({ address: cluster.address });
}, 60_000);

afterAll(async () => {
  await pool?.close();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it.skipIf(!hasSumo)('sweeps seeds × parameters with parsed statistics; equal seeds give identical statistics', async () => {
  const runs: SumoRunResult[] = [];
  for await (const r of pool.sumo.sweep({ scenario: cfg, seeds: [1, 2, 3, 1], params: { scale: [1, 2] } })) runs.push(r);
  // Seed 1 is listed twice on purpose: two independent runs that must agree exactly.
  expect(runs).toHaveLength(8);
  for (const r of runs) {
    expect(r.statistics.vehicles.inserted).toBeGreaterThan(0);
    expect(r.statistics.vehicleTripStatistics?.count).toBeGreaterThan(0);
  }
  const seed1 = runs.filter((r) => r.seed === 1 && r.params.scale === 1);
  expect(seed1).toHaveLength(2);
  expect(seed1[0]!.statistics).toEqual(seed1[1]!.statistics);
  // Doubling the demand inserts more vehicles.
  const inserted = (scale: number) => runs.filter((r) => r.params.scale === scale)[0]!.statistics.vehicles.inserted!;
  expect(inserted(2)).toBeGreaterThan(inserted(1));
  const table = summarizeSweep(runs);
  expect(table.map((g) => g.params.scale).sort()).toEqual([1, 2]);
  expect(table[0]!.metrics['vehicleTripStatistics.timeLoss']!.n).toBe(4);
}, 120_000);

it.skipIf(!hasSumo)('a scenario SUMO refuses fails at once with the reason, without retries', async () => {
  const err = await pool.sumo.run({ scenario: cfg, seed: 1, args: ['--no-such-option', '1'] }).catch((e: unknown) => e);
  expect(err).toMatchObject({ kind: 'error', attempt: 1 });
  expect((err as Error).message).toMatch(/no-such-option/);
}, 60_000);
