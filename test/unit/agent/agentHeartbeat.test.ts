import { afterEach, describe, expect, it } from 'vitest';
import { encodeValue, type pb } from '../../../src/protocol/index.ts';
import { AgentRig } from './AgentRig.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Agent heartbeats at the interval the coordinator names', () => {
  const rig = new AgentRig();
  afterEach(() => rig.stop());
  const setup = (heartbeatMs: number, processes = 1) => rig.start({ processes }, (c) => (c.heartbeatMs = heartbeatMs));

  it('follows registered.heartbeat_ms', async () => {
    const { c } = await setup(150);
    const s = c.last;
    await sleep(1000);
    // One at registration, then one every 150 ms.
    const n = c.of(s, 'heartbeat').length;
    expect(n).toBeGreaterThanOrEqual(5);
    expect(n).toBeLessThanOrEqual(9);
  });

  it('keeps to every 5 s when the coordinator names no interval', async () => {
    const { c } = await setup(0);
    const s = c.last;
    await sleep(800);
    expect(c.of(s, 'heartbeat').length).toBe(1);
  });

  it('follows the interval of the current session after a reconnect', async () => {
    const { c } = await setup(0);
    c.heartbeatMs = 100;
    c.drop(c.last);
    await c.until(() => c.sessions.length === 2 && c.last.register !== undefined, 8000);
    const s2 = c.last;
    await sleep(600);
    expect(c.of(s2, 'heartbeat').length).toBeGreaterThanOrEqual(4);
  });

  it('never leaves a lease (3 intervals) without a heartbeat while every worker is busy with a flood of tiny tasks', async () => {
    const { c, digest } = await setup(150, 2);
    const s = c.last;
    let seq = 0;
    // Play the coordinator: assign as much as credited for 5 intervals (tens of thousands of tasks),
    // then wait for every result. Busy for that long whatever the machine's speed.
    const busyUntil = performance.now() + 5 * 150;
    await c.until(() => {
      const n = performance.now() < busyUntil ? c.credit(s) - s.assigned : 0;
      if (n > 0) {
        const tasks: pb.Assignment[] = Array.from({ length: n }, () => ({
          attemptId: `t${seq}`, jobId: 'j', seq: seq++, attempt: 1, function: { bundleDigest: digest, exportName: 'square' },
          payload: Buffer.from(encodeValue([[3]])), items: 1, timeoutMs: 0, slots: 1, firstIndex: 0, resultWaitMs: 0,
        }));
        c.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks } });
      }
      return performance.now() >= busyUntil && c.results(s).size === seq;
    }, 60_000);
    const beats = c.timesOf(s, 'heartbeat');
    const gaps = beats.slice(1).map((t, i) => t - beats[i]);
    expect(beats.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...gaps)).toBeLessThan(3 * 150);
  });
});
