import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/index.ts';
import { decodeValue, encodeValue, type pb } from '../../../src/protocol/index.ts';
import { FakeCoordinator, type FakeSession } from './fakeCoordinator.ts';
import { BUNDLE_SOURCE } from './poolHarness.ts';

let next = 0;
function assignment(digest: string, exportName: string, items: unknown[][], extra: Partial<pb.Assignment> = {}): pb.Assignment {
  const seq = next++;
  return {
    attemptId: `a${seq}`,
    jobId: 'j1',
    seq,
    attempt: 1,
    function: { bundleDigest: digest, exportName },
    payload: Buffer.from(encodeValue(items)),
    items: items.length,
    timeoutMs: 0,
    slots: 1,
    firstIndex: 0,
    resultWaitMs: 0,
    ...extra,
  };
}

describe('Agent session with a coordinator', () => {
  let coord: FakeCoordinator;
  let agent: Agent;
  let cacheDir: string;
  let digest: string;
  let s: FakeSession;

  beforeAll(async () => {
    coord = await FakeCoordinator.start();
    digest = coord.putBlob(BUNDLE_SOURCE);
    cacheDir = await mkdtemp(join(os.tmpdir(), 'drover-agent-test-'));
    agent = new Agent({ coordinator: coord.address, processes: 2, prefetch: 3, name: 'agent-under-test', cacheDir, labels: { zone: 'z' }, logger: pino({ level: 'silent' }) });
    await agent.start();
    s = coord.last;
  });
  afterAll(async () => {
    await agent?.stop();
    await coord?.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('registers its name, capacity and version, then grants slots + prefetch credit', async () => {
    expect(s.register?.name).toBe('agent-under-test');
    expect(s.register?.capacity?.slots).toBe(2);
    expect(s.register?.capacity?.labels).toEqual({ zone: 'z' });
    expect(s.register?.version).toMatch(/^\d+\.\d+\.\d+/);
    await coord.until(() => coord.credit(s) === 5);
    expect(s.received[0].msg?.$case).toBe('register');
  });

  it('runs assignments, reports their results and grants one credit back per finished task', async () => {
    const creditBefore = coord.credit(s);
    const tasks = Array.from({ length: 5 }, (_, i) => assignment(digest, 'square', [[i], [i + 1]]));
    coord.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks } });
    await coord.until(() => tasks.every((t) => coord.results(s).has(t.attemptId)));
    for (const [i, t] of tasks.entries()) {
      const r = coord.results(s).get(t.attemptId)!;
      expect(r.outcome?.$case).toBe('value');
      expect(decodeValue(r.outcome!.value as Uint8Array)).toEqual([i * i, (i + 1) * (i + 1)]);
      expect(r.worker).toMatch(/^worker-[12]$/);
    }
    await coord.until(() => coord.credit(s) === creditBefore + 5);
  });

  it('keeps up with many tiny tasks, never holding more than its credit', async () => {
    // Play the coordinator: hand out exactly as many tasks as credited, until 600 were assigned.
    const total = 600;
    const ids: string[] = [];
    const pump = () => {
      const n = Math.min(coord.credit(s) - s.assigned, total - ids.length);
      if (n <= 0) return;
      const tasks = Array.from({ length: n }, () => assignment(digest, 'square', [[3]]));
      ids.push(...tasks.map((t) => t.attemptId));
      coord.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks } });
    };
    await coord.until(() => {
      pump();
      const results = coord.results(s);
      // Credit not yet used plus tasks not yet reported never exceed slots + prefetch.
      expect(coord.credit(s) - s.assigned + (s.assigned - results.size)).toBeLessThanOrEqual(5);
      return ids.length === total && ids.every((id) => results.has(id));
    }, 30_000);
    // Every task gave its credit back: the agent is again ready for slots + prefetch.
    await coord.until(() => coord.credit(s) - s.assigned === 5);
    // Results travel in batches, not one message per task.
    expect(coord.of(s, 'results').length).toBeLessThan(total);
  });

  it('forwards progress, the last value before the result', async () => {
    const t = assignment(digest, 'chatty', [[1000]]);
    coord.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [t] } });
    await coord.until(() => coord.results(s).has(t.attemptId));
    const mine = coord.of(s, 'progress').flatMap((b) => b.progress).filter((p) => p.attemptId === t.attemptId);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(decodeValue(mine.at(-1)!.value)).toEqual({ done: 1000 });
    expect(mine[0].worker).toBe(coord.results(s).get(t.attemptId)!.worker);
    const kinds = s.received.map((m) => m.msg?.$case === 'progress' && m.msg.value.progress.some((p) => p.attemptId === t.attemptId) ? 'p' : m.msg?.$case === 'results' && m.msg.value.results.some((r) => r.attemptId === t.attemptId) ? 'r' : '').join('');
    expect(kinds.lastIndexOf('p')).toBeLessThan(kinds.indexOf('r'));
  });

  it('fails a task whose bundle is not in the blob store with kind internal', async () => {
    const t = assignment('c'.repeat(64), 'square', [[1]]);
    coord.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [t] } });
    await coord.until(() => coord.results(s).has(t.attemptId));
    const r = coord.results(s).get(t.attemptId)!;
    expect(r.outcome?.$case).toBe('failure');
    const f = r.outcome!.value as pb.TaskFailure;
    expect(f.kind).toBe('internal');
    expect(f.message).toContain('not in the coordinator');
  });

  it('cancels a running attempt without reporting it, and gives its credit back', async () => {
    const t = assignment(digest, 'untilAborted', [[]]);
    const creditBefore = coord.credit(s);
    coord.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [t] } });
    await new Promise((r) => setTimeout(r, 200));
    coord.send(s, { $case: 'cancel', value: { attemptIds: [t.attemptId] } });
    await coord.until(() => coord.credit(s) === creditBefore + 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(coord.results(s).has(t.attemptId)).toBe(false);
  });

  it('reports its load in a heartbeat as soon as it registers', () => {
    const first = coord.of(s, 'heartbeat')[0];
    expect(first).toEqual({ running: 0, queued: 0 });
  });

  it('after a drain, takes nothing new: no credit for finished tasks', async () => {
    coord.send(s, { $case: 'drain', value: {} });
    await new Promise((r) => setTimeout(r, 50));
    const creditBefore = coord.credit(s);
    const t = assignment(digest, 'square', [[2]]);
    coord.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [t] } });
    await coord.until(() => coord.results(s).has(t.attemptId));
    await new Promise((r) => setTimeout(r, 50));
    expect(coord.credit(s)).toBe(creditBefore);
  });
});
