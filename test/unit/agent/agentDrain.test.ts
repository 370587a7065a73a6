import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Agent } from '../../../src/agent/index.ts';
import { decodeValue } from '../../../src/protocol/index.ts';
import { AgentProcess } from './agentProcess.ts';
import { FakeCoordinator, oneTask } from './fakeCoordinator.ts';
import { BUNDLE_SOURCE } from './poolHarness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('drover agent on SIGTERM', () => {
  let coord: FakeCoordinator | undefined;
  let agent: AgentProcess | undefined;
  let tmp: string | undefined;
  afterEach(async () => {
    if (agent && agent.exit === undefined) {
      agent.child.kill('SIGKILL');
      await agent.exited;
    }
    await coord?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    agent = coord = tmp = undefined;
  });

  it('finishes the running task, hands back the queued one, waits for the acknowledgement and exits 0', async () => {
    coord = await FakeCoordinator.start();
    coord.autoAck = false;
    coord.heartbeatMs = 200;
    const c = coord;
    const digest = c.putBlob(BUNDLE_SOURCE);
    tmp = await mkdtemp(join(os.tmpdir(), 'drover-drain-test-'));
    const a = (agent = new AgentProcess(c.address, tmp, ['--processes', '1']));
    await a.until(() => c.sessions.length === 1 && c.credit(c.last) === 2, 'registration with credit');
    const s = c.last;

    c.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [oneTask(digest, 'slow', 'sleep', [1500]), oneTask(digest, 'queued', 'sleep', [10])] } });
    await a.until(() => c.of(s, 'heartbeat').some((h) => h.running === 1), 'the slow task running');
    a.child.kill('SIGTERM');
    await a.until(() => a.output.includes('draining'), 'the drain starting');
    const creditAtSigterm = c.credit(s);
    // Assigned after the drain began (credit it granted before): not run either.
    c.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [oneTask(digest, 'late', 'sleep', [10])] } });

    await a.until(() => c.results(s).has('slow'), 'the slow task’s result', 10_000);
    expect(decodeValue(c.results(s).get('slow')!.outcome!.value as Uint8Array)).toEqual([undefined]);
    // Not acknowledged yet: the agent waits (its heartbeats keep the lease meanwhile).
    const beatsBefore = c.of(s, 'heartbeat').length;
    await sleep(700);
    expect(a.exit).toBeUndefined();
    expect(c.of(s, 'heartbeat').length).toBeGreaterThan(beatsBefore);

    const ackedAt = performance.now();
    c.ack(s, ['slow']);
    await a.exited;
    expect(a.exit).toMatchObject({ code: 0, signal: null });
    expect(a.exit!.at - ackedAt).toBeLessThan(3000);
    expect(c.resultIds(s)).toEqual(['slow']);
    expect(c.credit(s)).toBe(creditAtSigterm);
    expect(s.ended).toBe(true);
  });
});

describe('Agent.stop({ drain: true })', () => {
  it('waits for the acknowledgement only so long, then stops all the same', async () => {
    const c = await FakeCoordinator.start();
    c.autoAck = false;
    const cacheDir = await mkdtemp(join(os.tmpdir(), 'drover-agent-test-'));
    const a = new Agent({ coordinator: c.address, processes: 1, cacheDir, drainAckTimeoutMs: 800, logger: pino({ level: 'silent' }) });
    try {
      await a.start();
      const s = c.last;
      await c.until(() => c.credit(s) > 0);
      c.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [oneTask(c.putBlob(BUNDLE_SOURCE), 'quick', 'sleep', [200])] } });
      await sleep(100);
      const stopped = a.stop({ drain: true });
      await c.until(() => c.results(s).has('quick'));
      const resultAt = performance.now();
      await stopped;
      const waited = performance.now() - resultAt;
      expect(waited).toBeGreaterThan(600);
      expect(waited).toBeLessThan(2500);
      expect(a.unacknowledged).toBe(1);
    } finally {
      await a.stop();
      await c.stop();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
