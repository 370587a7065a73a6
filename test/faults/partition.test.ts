// A network partition of an agent (its own network namespace, veth link set down past its lease):
// its work re-runs elsewhere, its late results are fenced, every result arrives exactly once.
// Needs root and iproute2; otherwise skipped with the reason printed.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type Pool } from '../../src/sdk/index.ts';
import { startDrover, stopProcess } from '../integration/ProcessCluster.ts';
import { freePort, multisetDiff } from './FaultCluster.ts';

type Tasks = typeof import('../fixtures/tasks.ts');

function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for ip netns';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return 'iproute2 (`ip netns`) is not available';
  }
  return undefined;
}

const skipReason = netnsUnavailable();
if (skipReason) console.log(`partition test skipped: ${skipReason}`);

// Names and addresses unique to this run; 10.231.x.0/30 exists only inside this test's own namespace pair.
const tag = String(process.pid % 10000);
const ns = `drover-part-${tag}`;
const hostIf = `dvh${tag}`;
const nsIf = `dva${tag}`;
const octet = (process.pid % 200) + 20;
const hostIp = `10.231.${octet}.1`;
const nsIp = `10.231.${octet}.2`;
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
const droverBin = fileURLToPath(new URL('../../bin/drover.js', import.meta.url));

let coordinator: ChildProcess | undefined;
let localAgent: ChildProcess | undefined;
let nsAgent: ChildProcess | undefined;
let pool: Pool | undefined;
let dataDir: string | undefined;
let address = '';

beforeAll(async () => {
  if (skipReason) return;
  ip('netns', 'add', ns);
  ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
  ip('link', 'set', nsIf, 'netns', ns);
  ip('addr', 'add', `${hostIp}/30`, 'dev', hostIf);
  ip('link', 'set', hostIf, 'up');
  ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', nsIf);
  ip('netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up');
  ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  dataDir = mkdtempSync(join(tmpdir(), 'drover-partition-'));
  address = `${hostIp}:${await freePort()}`;
  ({ child: coordinator } = await startDrover(
    ['coordinator', '--listen', address, '--data', dataDir, '--lease-ms', '1500', '--agent-grace-ms', '200', '--insecure'],
    /listening on/,
  ));
  ({ child: localAgent } = await startDrover(['agent', '--coordinator', address, '--processes', '1', '--name', 'agent-host'], /connected/));
  nsAgent = spawn('ip', ['netns', 'exec', ns, process.execPath, droverBin, 'agent', '--coordinator', address, '--processes', '1', '--name', 'agent-ns'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, DROVER_LOG_LEVEL: 'warn' },
  });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: nsAgent!.stdout! }).on('line', (l) => l.includes('connected') && resolve());
    nsAgent!.once('exit', (c) => reject(new Error(`agent in ${ns} exited with ${c}`)));
  });
  pool = await connect({ address });
}, 60_000);

afterAll(async () => {
  await pool?.close();
  for (const c of [nsAgent, localAgent, coordinator]) if (c) await stopProcess(c, 5000);
  if (!skipReason) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // already gone
    }
    try {
      ip('link', 'del', hostIf);
    } catch {
      // deleted with the namespace
    }
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

it.skipIf(Boolean(skipReason))('re-runs a partitioned agent’s work elsewhere; no result lost or duplicated', async () => {
  const tasks = await pool!.load<Tasks>(new URL('../fixtures/tasks.ts', import.meta.url));
  const xs = Array.from({ length: 600 }, (_, i) => i);
  const got: { x: number; agent: string }[] = [];
  let cut = false;
  for await (const r of pool!.imapUnordered(tasks.whereAmISlow, xs, { chunksize: 1 })) {
    got.push({ x: r.x, agent: r.agent });
    if (!cut && got.length === 60) {
      cut = true;
      // Cut the namespace's end: the host keeps its address, the agent loses the coordinator.
      ip('netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'down');
      setTimeout(() => ip('netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up'), 4000);
    }
  }
  expect(cut).toBe(true);
  expect(new Set(got.map((g) => g.agent))).toEqual(new Set(['agent-host', 'agent-ns']));
  expect(multisetDiff(got.map((g) => g.x), xs)).toEqual({ lost: [], duplicated: [] });
}, 120_000);
