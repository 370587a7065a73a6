import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/index.ts';
import { encodeValue } from '../../../src/protocol/index.ts';
import { FakeCoordinator, type FakeSession } from './fakeCoordinator.ts';
import { BUNDLE_SOURCE } from './poolHarness.ts';

describe("Agent and a job's own bundle", () => {
  let c: FakeCoordinator;
  let agent: Agent;
  let dir: string;
  let s: FakeSession;
  let digest: string;
  beforeAll(async () => {
    c = await FakeCoordinator.start();
    digest = c.putBlob(BUNDLE_SOURCE);
    dir = await mkdtemp(join(os.tmpdir(), 'drover-agent-test-'));
    agent = new Agent({ coordinator: c.address, processes: 1, cacheDir: join(dir, 'cache'), workDir: join(dir, 'work'), logger: pino({ level: 'silent' }) });
    await agent.start();
    s = c.last;
  });
  afterAll(async () => {
    await agent?.stop();
    await c?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (jobId: string, attemptId: string, x: number) => {
    c.send(s, {
      $case: 'assign',
      value: { tasks: [{ attemptId, jobId, seq: 0, attempt: 1, function: { bundleDigest: digest, exportName: 'square' }, payload: Buffer.from(encodeValue([[x]])), items: 1, timeoutMs: 0, slots: 1, firstIndex: 0 }] },
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
