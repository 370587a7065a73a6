// The examples, run as a user would: separate processes, output read from stdout.
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcessCluster, startDrover, stopProcess } from '../ProcessCluster.ts';
import { sumoAvailable } from '../sumoAvailable.ts';

const run = promisify(execFile);
// \`--conditions=source\`: their \`import 'drover'\` takes the sources under test, not a dist/ build that may predate them
// (test/package/installedPackage.test.ts runs the built package).
const example = (name: string) => ['--conditions=source', fileURLToPath(new URL(`../../../examples/${name}/main.ts`, import.meta.url))];
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

describe('examples', () => {
  it('primes on the embedded default counts 78,498 primes below 1,000,000 on one worker process per core', async () => {
    const env = { ...process.env, DROVER_ADDRESS: '' };
    const { stdout } = await run(process.execPath, [...example('primes'), '1000000', '16'], { env, timeout: 60_000 });
    expect(stdout).toMatch(/primes below 1,000,000: 78,498/);
    expect(stdout).toMatch(/16\/16/);
    expect(stdout).toContain(`on ${availableParallelism()} worker processes`);
  });

  it('square runs against a separately started coordinator and agent', async () => {
    const cluster = await ProcessCluster.start({ agents: 1, processes: 2 });
    cleanup.push(() => cluster.stop());
    const env = { ...process.env, DROVER_ADDRESS: cluster.address };
    const { stdout } = await run(process.execPath, [...example('square'), '6'], { env, timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[5]).toMatch(/^5\^2 = 25 {2}\(worker-\d on agent-1\)$/);
  });

  it('square refuses to run without DROVER_ADDRESS, saying what to set', async () => {
    const env = { ...process.env, DROVER_ADDRESS: '' };
    const err = (await run(process.execPath, [...example('square')], { env }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/DROVER_ADDRESS/);
  });

  it('`drover local` serves a script pointed at it with DROVER_ADDRESS and its DROVER_TOKEN_FILE', async () => {
    const { child, match } = await startDrover(['local', '--listen', '127.0.0.1:0', '--processes', '2'], /export DROVER_ADDRESS=(\S+) DROVER_TOKEN_FILE=(\S+)/);
    cleanup.push(() => stopProcess(child));
    const env = { ...process.env, DROVER_ADDRESS: match[1]!, DROVER_TOKEN_FILE: match[2]! };
    const { stdout } = await run(process.execPath, [...example('primes'), '100000', '8'], { env, timeout: 60_000 });
    expect(stdout).toMatch(/primes below 100,000: 9,592/);
  });
});

describe('ramp-metering example', () => {
  const hasSumo = sumoAvailable('ramp-metering example test');
  it.skipIf(!hasSumo)('builds the on-ramp on an agent and compares controlled against uncontrolled runs over seeds', async () => {
    const env = { ...process.env, DROVER_ADDRESS: '' };
    const { stdout } = await run(process.execPath, [...example('ramp-metering'), '2'], { env, timeout: 120_000 });
    expect(stdout).toMatch(/4\/4 {2}seed/);
    expect(stdout).toMatch(/control=none/);
    expect(stdout).toMatch(/control=ALINEA/);
    expect(stdout).toMatch(/ALINEA vs no control, travel time \+ depart delay: -?\d+\.\d %/);
  }, 150_000);
});
