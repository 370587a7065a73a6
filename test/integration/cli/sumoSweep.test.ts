// `drover sumo sweep` and `drover run` as a user types them, against a separately started cluster.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateGridScenario } from '../../../src/sumo/index.ts';
import { ProcessCluster } from '../ProcessCluster.ts';
import { sumoAvailable } from '../sumoAvailable.ts';

const run = promisify(execFile);
const drover = fileURLToPath(new URL('../../../bin/drover.js', import.meta.url));
const hasSumo = sumoAvailable('drover sumo sweep test');

let cluster: ProcessCluster;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drover-cli-'));
  cluster = await ProcessCluster.start({ agents: 1, processes: 2 });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

it.skipIf(!hasSumo)('drover sumo sweep prints a summary per parameter set and writes one CSV row per run', async () => {
  const { cfg } = await generateGridScenario({ dir: join(dir, 'grid'), gridNumber: 3, gridLength: 150, vehicles: 120, end: 500, seed: 7 });
  const csv = join(dir, 'results.csv');
  const { stdout, stderr } = await run(process.execPath, [drover, 'sumo', 'sweep', cfg, '--seeds', '1..3', '--param', 'scale=1,1.5', '--out', csv, '--address', cluster.address], { timeout: 120_000 });
  expect(stderr).toMatch(/sumo sweep 6\/6/);
  expect(stdout).toMatch(/6 runs in/);
  expect(stdout).toMatch(/scale=1 {2}— {2}3 runs/);
  expect(stdout).toMatch(/scale=1\.5 {2}— {2}3 runs/);
  expect(stdout).toMatch(/vehicleTripStatistics\.timeLoss\s+\S+ ± \S+\s+\(sd \S+\)/);
  const lines = (await readFile(csv, 'utf8')).trim().split('\n');
  expect(lines).toHaveLength(7);
  expect(lines[0]).toMatch(/^seed,param\.scale,agent,worker,wallMs,vehicles\.loaded/);
  expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(['1,1', '2,1', '3,1', '1,1.5', '2,1.5', '3,1.5']);
}, 150_000);

it('drover run runs a command remotely, downloads its outputs and exits with its code', async () => {
  await writeFile(join(dir, 'in.txt'), 'hello\n');
  const outDir = await mkdtemp(join(dir, 'out-'));
  const err = (await run(
    process.execPath,
    [drover, 'run', '--address', cluster.address, '--input', `in.txt=${join(dir, 'in.txt')}`, '--output', 'up.txt', '--out-dir', outDir, '--', 'sh', '-c', 'tr a-z A-Z < in.txt > up.txt; echo done; exit 4'],
    { timeout: 60_000 },
  ).then(() => ({ code: 0, stdout: '', stderr: '' }), (e: unknown) => e as { code: number; stdout: string; stderr: string }));
  expect(err.code).toBe(4);
  expect(err.stdout).toBe('done\n');
  expect(err.stderr).toMatch(/exit 4 on agent-1\/worker-\d/);
  expect(await readFile(join(outDir, 'up.txt'), 'utf8')).toBe('HELLO\n');
}, 60_000);
