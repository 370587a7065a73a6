import { afterEach, describe, expect, it } from 'vitest';
import type { AgentOptions } from '../../../src/agent/index.ts';
import { decodeValue } from '../../../src/protocol/index.ts';
import { oneTask, type FakeCoordinator, type FakeSession } from './fakeCoordinator.ts';
import { AgentRig } from './AgentRig.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Agent keeps results until the coordinator accepts them', () => {
  const rig = new AgentRig();
  afterEach(() => rig.stop());
  const setup = (options: Partial<AgentOptions> = {}) => rig.start({ prefetch: 0, ...options }, (c) => (c.autoAck = false));
  /** Break the session and wait for the agent's next one to be registered and credited. */
  const reconnect = async (c: FakeCoordinator, s: FakeSession): Promise<FakeSession> => {
    const n = c.sessions.length;
    c.drop(s);
    await c.until(() => c.sessions.length > n && c.credit(c.last) > 0, 8000);
    return c.last;
  };

  it('re-sends an unacknowledged result on every new session, and forgets it once accepted', async () => {
    const { c, a, digest } = await setup();
    const s1 = c.last;
    await c.until(() => c.credit(s1) === 1);
    c.send(s1, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [oneTask(digest, 'r1', 'square', [7])] } });
    await c.until(() => c.results(s1).has('r1'));
    expect(a.unacknowledged).toBe(1);

    // The coordinator crashed before the result was durable: the next session gets it again, right
    // after registering, and is told the attempt is still held here.
    const s2 = await reconnect(c, s1);
    await c.until(() => c.results(s2).has('r1'));
    expect(decodeValue(c.results(s2).get('r1')!.outcome!.value as Uint8Array)).toEqual([49]);
    expect(s2.register?.runningAttemptIds).toEqual(['r1']);
    const kinds = s2.received.map((m) => m.msg?.$case);
    expect(kinds[0]).toBe('register');
    expect(kinds.indexOf('results')).toBeGreaterThan(0);

    c.ack(s2, ['r1']);
    await c.until(() => a.unacknowledged === 0);
    // Once accepted, a later session neither lists it nor gets it again.
    const s3 = await reconnect(c, s2);
    await sleep(300);
    expect(c.resultIds(s3)).toEqual([]);
    expect(s3.register?.runningAttemptIds).toEqual([]);
    // Each session got the result exactly once.
    expect(c.resultIds(s1)).toEqual(['r1']);
    expect(c.resultIds(s2)).toEqual(['r1']);
  });

  it('registers with acks_with_assign and takes the acknowledgements an assignment carries', async () => {
    const { c, a, digest } = await setup();
    const s1 = c.last;
    expect(s1.register?.acksWithAssign).toBe(true);
    await c.until(() => c.credit(s1) === 1);
    c.send(s1, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [oneTask(digest, 'q1', 'square', [3])] } });
    await c.until(() => c.results(s1).has('q1'));
    expect(a.unacknowledged).toBe(1);
    // The next assignment accepts q1: no ResultsAccepted of its own.
    await c.until(() => c.credit(s1) - s1.assigned > 0);
    c.send(s1, { $case: 'assign', value: { acceptedAttemptIds: ['q1'], tasks: [oneTask(digest, 'q2', 'square', [4])] } });
    await c.until(() => c.results(s1).has('q2'));
    expect(a.unacknowledged).toBe(1);
    const s2 = await reconnect(c, s1);
    expect(s2.register?.runningAttemptIds).toEqual(['q2']);
    await c.until(() => c.results(s2).has('q2'));
    expect(c.resultIds(s2)).toEqual(['q2']);
  });

  it('re-sends only what was not accepted, in messages of about 1 MiB', async () => {
    const { c, a, digest } = await setup({ processes: 2 });
    const s1 = c.last;
    await c.until(() => c.credit(s1) === 2);
    const big = ['b0', 'b1', 'b2', 'b3', 'b4', 'b5'];
    for (const [i, id] of big.entries()) {
      // Assign within credit: two at a time, as a coordinator would.
      await c.until(() => c.credit(s1) - s1.assigned > 0);
      c.send(s1, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [oneTask(digest, id, 'text', [400_000 + i])] } });
    }
    await c.until(() => big.every((id) => c.results(s1).has(id)));
    c.ack(s1, ['b0', 'b3']);
    await c.until(() => a.unacknowledged === 4);
    const s2 = await reconnect(c, s1);
    await c.until(() => c.resultIds(s2).length === 4);
    expect(c.resultIds(s2).sort()).toEqual(['b1', 'b2', 'b4', 'b5']);
    // ~1.6 MB in all: more than one message, none much past 1 MiB.
    const messages = c.of(s2, 'results');
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(m.results.length).toBeLessThanOrEqual(3);
  });

  it('forgets a kept result when the coordinator cancels its attempt', async () => {
    const { c, a, digest } = await setup();
    const s = c.last;
    await c.until(() => c.credit(s) === 1);
    c.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [oneTask(digest, 'gone', 'square', [2])] } });
    await c.until(() => c.results(s).has('gone'));
    expect(a.unacknowledged).toBe(1);
    c.send(s, { $case: 'cancel', value: { attemptIds: ['gone'] } });
    await c.until(() => a.unacknowledged === 0);
  });

  it('grants no credit while unacknowledged results pass the bound, and resumes once they are accepted', async () => {
    const { c, a, digest } = await setup({ prefetch: 1, maxUnackedResultBytes: 10_000 });
    const s = c.last;
    await c.until(() => c.credit(s) === 2);
    c.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [oneTask(digest, 'k1', 'text', [12_000]), oneTask(digest, 'k2', 'text', [12_000])] } });
    await c.until(() => c.results(s).has('k1') && c.results(s).has('k2'));
    await sleep(300);
    // Both tasks are done, but each result alone is past the bound: no new credit.
    expect(c.credit(s)).toBe(2);
    expect(a.unacknowledged).toBe(2);
    c.ack(s, ['k1']);
    await c.until(() => a.unacknowledged === 1);
    await sleep(200);
    expect(c.credit(s)).toBe(2);
    c.ack(s, ['k2']);
    await c.until(() => c.credit(s) === 4);
    expect(a.unacknowledged).toBe(0);
  });
});
