import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/index.ts';
import { decodeValue, type pb } from '../../../src/protocol/index.ts';
import { FakeCoordinator, oneTask, type FakeSession } from './fakeCoordinator.ts';
import { BUNDLE_SOURCE } from './poolHarness.ts';

/** Worker processes this test process has now. */
function workerChildren(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes('workerMain'));
}

describe('Agent survives workers that run out of memory, abort or spin past their timeout', () => {
  let coord: FakeCoordinator;
  let agent: Agent;
  let cacheDir: string;
  let digest: string;
  let s: FakeSession;
  let n = 0;

  beforeAll(async () => {
    coord = await FakeCoordinator.start();
    digest = coord.putBlob(BUNDLE_SOURCE);
    cacheDir = await mkdtemp(join(os.tmpdir(), 'drover-agent-test-'));
    agent = new Agent({
      coordinator: coord.address,
      processes: 2,
      prefetch: 0,
      cacheDir,
      // A small heap, so a task that allocates without bound exhausts it quickly.
      workerExecArgv: ['--max-old-space-size=32'],
      logger: pino({ level: 'silent' }),
    });
    await agent.start();
    s = coord.last;
  });
  afterAll(async () => {
    await agent?.stop();
    await coord?.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });

  /** Run one task through the agent and return its failure. */
  const fail = async (exportName: string, extra: Partial<pb.Assignment> = {}): Promise<pb.TaskFailure> => {
    const id = `f${n++}`;
    await coord.until(() => coord.credit(s) - s.assigned > 0);
    coord.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [oneTask(digest, id, exportName, [], extra)] } });
    await coord.until(() => coord.results(s).has(id), 20_000);
    const r = coord.results(s).get(id)!;
    expect(r.outcome?.$case).toBe('failure');
    return r.outcome!.value as pb.TaskFailure;
  };

  /** Both workers are up and run tasks side by side; the agent is still on its first session. */
  const fullPool = async () => {
    await coord.until(() => coord.credit(s) - s.assigned === 2);
    const ids = [`w${n++}`, `w${n++}`];
    const started = performance.now();
    coord.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: ids.map((id) => oneTask(digest, id, 'napWho', [400])) } });
    await coord.until(() => ids.every((id) => coord.results(s).has(id)));
    const who = ids.map((id) => (decodeValue(coord.results(s).get(id)!.outcome!.value as Uint8Array) as { worker: string }[])[0].worker);
    expect(who.sort()).toEqual(['worker-1', 'worker-2']);
    // Side by side, not one after the other.
    expect(performance.now() - started).toBeLessThan(780);
    expect(workerChildren()).toHaveLength(2);
    expect(coord.sessions).toHaveLength(1);
    expect(s.ended).toBe(false);
  };

  it('a task that exhausts the heap fails with kind oom', async () => {
    const f = await fail('hog');
    expect(f.kind).toBe('oom');
    expect(f.stderrTail).toMatch(/heap/i);
    await fullPool();
  });

  it('process.abort() fails with kind crashed and signal SIGABRT', async () => {
    const f = await fail('abort');
    expect(f.kind).toBe('crashed');
    expect(f.signal).toBe('SIGABRT');
    expect(f.message).toMatch(/abort/);
    await fullPool();
  });

  it('an infinite loop with a timeout fails with kind timeout', async () => {
    const f = await fail('spin', { timeoutMs: 300 });
    expect(f.kind).toBe('timeout');
    expect(f.message).toContain('300 ms');
    await fullPool();
  });
});
