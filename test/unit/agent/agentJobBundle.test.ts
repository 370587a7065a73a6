import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeValue } from '../../../src/protocol/index.ts';
import { AgentRig } from './AgentRig.ts';
import type { FakeCoordinator, FakeSession } from './fakeCoordinator.ts';

describe("Agent and a job's own bundle", () => {
  const rig = new AgentRig();
  let c: FakeCoordinator;
  let s: FakeSession;
  let digest: string;
  beforeAll(async () => {
    ({ c, digest } = await rig.start());
    s = c.last;
  });
  afterAll(() => rig.stop());

  const run = async (jobId: string, attemptId: string, x: number) => {
    c.send(s, {
      $case: 'assign',
      value: { acceptedAttemptIds: [], tasks: [{ attemptId, jobId, seq: 0, attempt: 1, function: { bundleDigest: digest, exportName: 'square' }, payload: Buffer.from(encodeValue([[x]])), items: 1, timeoutMs: 0, slots: 1, firstIndex: 0, resultWaitMs: 0 }] },
    });
    await c.until(() => c.results(s).has(attemptId));
    return c.results(s).get(attemptId)!;
  };

  it('fetches the bundle once, then starts later jobs on the cached copy without asking about it', async () => {
    const first = await run('job-a', 'a1', 3);
    expect(first.outcome?.$case).toBe('value');
    expect(c.gets.filter((d) => d === digest)).toHaveLength(1);
    // Another job on the same bundle: the assignment itself says the job may use it.
    const second = await run('job-b', 'b1', 4);
    expect(second.outcome?.$case).toBe('value');
    expect(c.gets.filter((d) => d === digest)).toHaveLength(1);
    expect(c.hasAsked.filter((d) => d === digest)).toEqual([]);
  });
});
