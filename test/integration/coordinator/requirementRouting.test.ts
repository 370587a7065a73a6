// Requirement routing with real processes: a coordinator and two agents, one started with a PATH
// that hides SUMO (and labelled zone=eu), one with SUMO. SUMO tasks go to the SUMO agent only,
// labelled tasks to the labelled agent only, and a requirement no agent meets fails fast with kind
// `unschedulable` and a message that names it.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pb } from '../../../src/protocol/index.ts';
import { connect, TaskError, type Pool } from '../../../src/sdk/index.ts';
import { startDrover, stopProcess } from '../ProcessCluster.ts';

type Tasks = typeof import('../../fixtures/routingTasks.ts');

const sumoVersion = (() => {
  try {
    return /Version (\S+)/.exec(execFileSync('sumo', ['--version'], { encoding: 'utf8', timeout: 10_000 }))?.[1] ?? '';
  } catch {
    return '';
  }
})();

const children: ChildProcess[] = [];
let emptyPath: string;
let address: string;
let pool: Pool;
let tasks: Tasks;

beforeAll(async () => {
  // A PATH with nothing on it: node is started by its absolute path, workers are forked from it.
  emptyPath = mkdtempSync(join(tmpdir(), 'drover-no-sumo-path-'));
  const coordinator = await startDrover(['coordinator', '--listen', '127.0.0.1:0'], /listening on (\S+)/);
  children.push(coordinator.child);
  address = coordinator.match[1]!;
  const noSumo = await startDrover(
    ['agent', '--coordinator', address, '--processes', '1', '--name', 'no-sumo', '--label', 'zone=eu'],
    /connected/,
    { PATH: emptyPath, SUMO_HOME: '' },
  );
  children.push(noSumo.child);
  const withSumo = await startDrover(['agent', '--coordinator', address, '--processes', '1', '--name', 'with-sumo'], /connected/);
  children.push(withSumo.child);
  pool = await connect({ address });
  tasks = await pool.load<Tasks>(new URL('../../fixtures/routingTasks.ts', import.meta.url));
});

afterAll(async () => {
  await pool?.close();
  await Promise.all(children.slice(1).map((c) => stopProcess(c)));
  if (children[0]) await stopProcess(children[0]);
  if (emptyPath) rmSync(emptyPath, { recursive: true, force: true });
});

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe.skipIf(!sumoVersion)('requirement routing (real processes, SUMO installed)', () => {
  it('announces SUMO only for the agent that has it on its PATH (Admin.ListAgents)', async () => {
    const admin = new pb.AdminClient(address, grpc.credentials.createInsecure());
    try {
      const listed = await new Promise<pb.ListAgentsResponse>((resolve, reject) => admin.listAgents({}, (e, r) => (e ? reject(e) : resolve(r!))));
      const byName = new Map(listed.agents.map((a) => [a.name, a.capacity!]));
      expect([...byName.keys()].sort()).toEqual(['no-sumo', 'with-sumo']);
      expect(byName.get('with-sumo')).toMatchObject({ sumoVersion, labels: {} });
      expect(byName.get('no-sumo')).toMatchObject({ sumoVersion: '', labels: { zone: 'eu' } });
    } finally {
      admin.close();
    }
  });

  it('runs every task that requires sumo on the SUMO agent', async () => {
    const results = await pool.map(tasks.sumoHere, range(12), { chunksize: 1, requires: { sumo: true } });
    expect(results.map((r) => r.x)).toEqual(range(12));
    expect(new Set(results.map((r) => r.agent))).toEqual(new Set(['with-sumo']));
    expect(results.every((r) => r.sumo === `Eclipse SUMO sumo Version ${sumoVersion}`)).toBe(true);
    // Without the requirement both agents take work; the one without SUMO really has none.
    const anywhere = await pool.map(tasks.sumoHere, range(40), { chunksize: 1 });
    const noSumo = anywhere.filter((r) => r.agent === 'no-sumo');
    expect(noSumo.length).toBeGreaterThan(0);
    expect(noSumo.every((r) => r.sumo === null)).toBe(true);
  });

  it('runs tasks that require a label only on the labelled agent', async () => {
    const results = await pool.map(tasks.agentOf, range(12), { chunksize: 1, requires: { labels: { zone: 'eu' } } });
    expect(results.map((r) => r.x)).toEqual(range(12));
    expect(new Set(results.map((r) => r.agent))).toEqual(new Set(['no-sumo']));
  });

  it('fails fast with kind unschedulable when no agent has the SUMO version asked for, naming the requirement and the offers', async () => {
    const started = Date.now();
    const error = await pool.map(tasks.sumoHere, range(5), { chunksize: 1, requires: { sumo: '>=99' } }).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(TaskError);
    const te = error as TaskError;
    expect(te.kind).toBe('unschedulable');
    expect(te.index).toBe(0);
    expect(te.remoteMessage).toMatch(/^no connected agent satisfies requires \{sumo: ">=99"\}: /);
    expect(te.remoteMessage).toContain(`with-sumo offers sumo ${sumoVersion}, 1 slot`);
    expect(te.remoteMessage).toContain('no-sumo offers no sumo, 1 slot');
    expect(elapsed).toBeLessThan(3000);
  });

  it('names every requirement that rules the agents out when no single agent has them all', async () => {
    const error = await pool.map(tasks.agentOf, [1], { requires: { sumo: true, labels: { zone: 'eu' } } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskError);
    expect((error as TaskError).kind).toBe('unschedulable');
    expect((error as TaskError).remoteMessage).toMatch(/^no connected agent satisfies requires \{sumo: true, labels: \{zone: "eu"\}\}: /);
    expect((error as TaskError).remoteMessage).toContain('no-sumo offers no sumo, 1 slot, ');
    expect((error as TaskError).remoteMessage).toContain('labels {zone=eu}');
  });
});
