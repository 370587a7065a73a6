import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeValue } from '../../../src/protocol/index.ts';
import { AgentProcess } from './agentProcess.ts';
import { FakeCoordinator, oneTask } from './fakeCoordinator.ts';
import { BUNDLE_SOURCE } from './poolHarness.ts';

describe('drover agent worker-hygiene flags', () => {
  let coord: FakeCoordinator | undefined;
  let agent: AgentProcess | undefined;
  let tmp: string | undefined;
  afterEach(() => stopAgent());

  /** Stop the agent, coordinator and temp dir of the last `runSequentially`, so that another can run. */
  const stopAgent = async (): Promise<void> => {
    if (agent && agent.exit === undefined) {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }
    await coord?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    agent = coord = tmp = undefined;
  };

  /** Start `drover agent` with these flags and run `exportName(...args)` tasks one after another; returns their values. */
  const runSequentially = async (flags: string[], tasks: [string, unknown[]][]): Promise<unknown[]> => {
    coord = await FakeCoordinator.start();
    const c = coord;
    const digest = c.putBlob(BUNDLE_SOURCE);
    tmp = await mkdtemp(join(os.tmpdir(), 'drover-flags-test-'));
    const a = (agent = new AgentProcess(c.address, tmp, ['--processes', '1', ...flags]));
    await a.until(() => c.sessions.length === 1 && c.credit(c.last) > 0, 'registration');
    const s = c.last;
    const values: unknown[] = [];
    for (const [i, [exportName, args]] of tasks.entries()) {
      const id = `t${i}`;
      c.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [oneTask(digest, id, exportName, args)] } });
      await a.until(() => c.results(s).has(id), `result of ${id}`);
      values.push((decodeValue(c.results(s).get(id)!.outcome!.value as Uint8Array) as unknown[])[0]);
    }
    return values;
  };

  it('--work-dir puts the tasks\' scratch directories there', async () => {
    coord = await FakeCoordinator.start();
    const c = coord;
    const digest = c.putBlob(BUNDLE_SOURCE);
    tmp = await mkdtemp(join(os.tmpdir(), 'drover-flags-test-'));
    const workDir = join(tmp, 'work');
    const a = (agent = new AgentProcess(c.address, tmp, ['--processes', '1', '--work-dir', workDir]));
    await a.until(() => c.sessions.length === 1 && c.credit(c.last) > 0, 'registration');
    c.send(c.last, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [oneTask(digest, 'w1', 'scratchPath', [])] } });
    await a.until(() => c.results(c.last).has('w1'), 'result of w1');
    const [path] = decodeValue(c.results(c.last).get('w1')!.outcome!.value as Uint8Array) as string[];
    expect(dirname(path)).toBe(workDir);
  });

  it('runs workers 5 niceness steps below the agent by default, and --worker-nice sets the step', async () => {
    const [byDefault] = await runSequentially([], [['niceness', []]]);
    const agentNice = os.getPriority(agent!.child.pid!);
    expect(byDefault).toBe(Math.min(19, agentNice + 5));
    await stopAgent();
    const [same] = await runSequentially(['--worker-nice', '0'], [['niceness', []]]);
    expect(same).toBe(os.getPriority(agent!.child.pid!));
    await stopAgent();
    const [most] = await runSequentially(['--worker-nice', '19'], [['niceness', []]]);
    expect(most).toBe(19);
  });

  it('refuses a --worker-nice outside 0-19', async () => {
    coord = await FakeCoordinator.start();
    tmp = await mkdtemp(join(os.tmpdir(), 'drover-flags-test-'));
    const a = (agent = new AgentProcess(coord.address, tmp, ['--worker-nice', '20']));
    await a.exited;
    expect(a.exit?.code).not.toBe(0);
    expect(a.output).toMatch(/integer from 0 to 19/);
  });

  it('--max-tasks-per-worker 2 replaces the worker every two tasks', async () => {
    const pids = await runSequentially(['--max-tasks-per-worker', '2'], Array.from({ length: 5 }, () => ['pid', []] as [string, unknown[]]));
    expect(pids[0]).toBe(pids[1]);
    expect(pids[2]).not.toBe(pids[1]);
    expect(pids[2]).toBe(pids[3]);
    expect(pids[4]).not.toBe(pids[3]);
  });

  it('--max-worker-rss-mb 150 replaces a worker that grew past it', async () => {
    const pids = await runSequentially(['--max-worker-rss-mb', '150'], [['bloat', [1]], ['bloat', [200]], ['pid', []]]);
    expect(pids[1]).toBe(pids[0]);
    expect(pids[2]).not.toBe(pids[1]);
  });
});
