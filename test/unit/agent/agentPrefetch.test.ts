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
          payload: Buffer.from(encodeValue([args])), items: 1, timeoutMs: 0, slots: 1, firstIndex: 0,
        }));
        ids.push(...tasks.map((t) => t.attemptId));
        coord.send(s, { $case: 'assign', value: { tasks } });
      }
      return ids.length === count && ids.every((id) => results.has(id));
    }, 30_000);
    return peak;
  };

  it('starts at one task per slot beyond the slots', async () => {
    await coord.until(() => coord.credit(s) === 4);
  });

  it('grows while tasks are tiny, within 128 per slot, and shrinks back once they are long', async () => {
    const tinyPeak = await run('square', [2], 2000);
    expect(tinyPeak).toBeGreaterThan(8);
    expect(tinyPeak).toBeLessThanOrEqual(2 * 129);
    // Long tasks pull the running average up; credit already granted cannot be taken back, but once it
    // is used up the agent tops up only to slots + one per slot.
    await run('sleep', [10], 300);
    const outstanding = coord.credit(s) - s.assigned;
    expect(outstanding).toBeLessThanOrEqual(4);
  });
});
