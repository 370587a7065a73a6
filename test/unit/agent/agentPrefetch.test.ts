import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/index.ts';
import { encodeValue, type pb } from '../../../src/protocol/index.ts';
import { FakeCoordinator, type FakeSession } from './fakeCoordinator.ts';
import { BUNDLE_SOURCE } from './poolHarness.ts';

describe('Agent default prefetch', () => {
  let coord: FakeCoordinator;
  let agent: Agent;
  let cacheDir: string;
  let digest: string;
  let s: FakeSession;
  beforeAll(async () => {
    coord = await FakeCoordinator.start();
    digest = coord.putBlob(BUNDLE_SOURCE);
    cacheDir = await mkdtemp(join(os.tmpdir(), 'drover-agent-test-'));
    agent = new Agent({ coordinator: coord.address, processes: 2, cacheDir, logger: pino({ level: 'silent' }) });
    await agent.start();
    s = coord.last;
  });
  afterAll(async () => {
    await agent?.stop();
    await coord?.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });

  const run = async (exportName: string, args: unknown[], count: number) => {
    const ids: string[] = [];
    let seq = s.assigned;
    let peak = 0;
    await coord.until(() => {
      const results = coord.results(s);
      peak = Math.max(peak, coord.credit(s) - s.assigned + (s.assigned - results.size));
      const n = Math.min(coord.credit(s) - s.assigned, count - ids.length);
      if (n > 0) {
        const tasks: pb.Assignment[] = Array.from({ length: n }, () => ({
          attemptId: `p${seq}`, jobId: 'j', seq: seq++, attempt: 1, function: { bundleDigest: digest, exportName },
          payload: Buffer.from(encodeValue([args])), items: 1, timeoutMs: 0, slots: 1, firstIndex: 0, resultWaitMs: 0,
        }));
        ids.push(...tasks.map((t) => t.attemptId));
        coord.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks } });
      }
      // A task handed back (a stray slow one can make the agent think it holds too much) is done here too.
      const back = new Set(coord.of(s, 'returned').flatMap((r) => r.attemptIds));
      return ids.length === count && ids.every((id) => results.has(id) || back.has(id));
    }, 30_000);
    return peak;
  };

  it('starts at one task per slot beyond the slots', async () => {
    await coord.until(() => coord.credit(s) === 4);
  });

  it('grows while tasks are tiny, within 128 per slot', async () => {
    const tinyPeak = await run('square', [2], 2000);
    expect(tinyPeak).toBeGreaterThan(8);
    expect(tinyPeak).toBeLessThanOrEqual(2 * 129);
  });

  it('hands back the unstarted surplus once tasks turn out long, and shrinks back to slots + one per slot', async () => {
    // Use up all the credit the tiny tasks earned with long ones, in one batch: what a coordinator
    // filling a prefetching agent would send.
    const n = coord.credit(s) - s.assigned;
    expect(n).toBeGreaterThan(8);
    let seq = s.assigned;
    const tasks: pb.Assignment[] = Array.from({ length: n }, () => ({
      attemptId: `long${seq}`, jobId: 'j2', seq: seq++, attempt: 1, function: { bundleDigest: digest, exportName: 'sleep' },
      payload: Buffer.from(encodeValue([[30]])), items: 1, timeoutMs: 0, slots: 1, firstIndex: 0, resultWaitMs: 0,
    }));
    const ids = tasks.map((t) => t.attemptId);
    coord.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks } });
    const returned = () => new Set(coord.of(s, 'returned').flatMap((r) => r.attemptIds));
    await coord.until(() => ids.every((id) => coord.results(s).has(id) || returned().has(id)), 30_000);
    const back = returned();
    // Most of the batch goes back (the first results teach the pool that tasks are long); what went
    // back never ran here, and everything else did.
    expect(back.size).toBeGreaterThan(n / 2);
    for (const id of back) expect(coord.results(s).has(id)).toBe(false);
    expect(ids.filter((id) => coord.results(s).has(id)).length).toBe(n - back.size);
    // Long tasks keep the average up: the agent tops up only to slots + one per slot.
    await run('sleep', [30], 80);
    expect(coord.credit(s) - s.assigned).toBeLessThanOrEqual(4);
  });
});
