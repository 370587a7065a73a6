import { afterEach, describe, expect, it } from 'vitest';
import { oneTask } from './fakeCoordinator.ts';
import { AgentRig } from './AgentRig.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Agent re-registers with the attempts it still holds', () => {
  const rig = new AgentRig();
  afterEach(() => rig.stop());
  // One slot and one task of prefetch: one runs, one waits in the pool's queue.
  const setup = (heartbeatMs = 0) => rig.start({ prefetch: 1 }, (c) => (c.heartbeatMs = heartbeatMs));

  it('lists running and queued attempts in register.running_attempt_ids; the coordinator cancels one, the other reports', async () => {
    const { c, digest } = await setup();
    const s1 = c.last;
    expect(s1.register?.runningAttemptIds).toEqual([]);
    await c.until(() => c.credit(s1) === 2);
    c.send(s1, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [oneTask(digest, 'running', 'sleep', [900]), oneTask(digest, 'queued', 'sleep', [50])] } });
    await sleep(200);
    c.drop(s1);
    await c.until(() => c.sessions.length === 2 && c.last.register !== undefined, 8000);
    const s2 = c.last;
    expect([...s2.register!.runningAttemptIds].sort()).toEqual(['queued', 'running']);
    // Both still count against the agent's credit: nothing more is granted yet.
    await c.until(() => c.of(s2, 'heartbeat').length > 0);
    expect(c.of(s2, 'heartbeat')[0]).toEqual({ running: 1, queued: 1 });
    expect(c.credit(s2)).toBe(0);
    // This coordinator re-queued "queued" elsewhere meanwhile: it cancels it here.
    c.send(s2, { $case: 'cancel', value: { attemptIds: ['queued'] } });
    await c.until(() => c.results(s2).has('running'));
    await c.until(() => c.credit(s2) === 2);
    await sleep(200);
    expect(c.resultIds(s2)).toEqual(['running']);
    expect(c.resultIds(s1)).toEqual([]);
  });

  it('once disconnected past the lease (3 heartbeat intervals), drops what has not started and lists only what runs', async () => {
    const { c, digest } = await setup(100);
    const s1 = c.last;
    await c.until(() => c.credit(s1) === 2);
    c.send(s1, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [oneTask(digest, 'long', 'sleep', [1500]), oneTask(digest, 'waiting', 'sleep', [50])] } });
    await sleep(150);
    c.refuse = true;
    c.drop(s1);
    // The lease is 300 ms: past it the coordinator has re-queued "waiting", so the agent drops it.
    await sleep(700);
    c.refuse = false;
    await c.until(() => c.sessions.length === 2 && c.last.register !== undefined, 8000);
    const s2 = c.last;
    expect(s2.register!.runningAttemptIds).toEqual(['long']);
    await c.until(() => c.results(s2).has('long'));
    await sleep(200);
    expect(c.resultIds(s2)).toEqual(['long']);
  });
});
