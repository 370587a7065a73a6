import { afterEach, describe, expect, it } from 'vitest';
import { AgentRig } from './AgentRig.ts';
import { oneTask } from './fakeCoordinator.ts';

describe('Agent holding results the coordinator would hold anyway (Assignment.result_wait_ms)', () => {
  const rig = new AgentRig();
  afterEach(() => rig.stop());

  /**
   * One worker, the tasks of `calls` (`calls[i]` = [export, args]) assigned in one message, each with
   * `waitMs`; resolves with the attempt ids of each results message, in arrival order.
   */
  const run = async (waitMs: number, calls: [string, unknown[]][]): Promise<string[][]> => {
    const { c, digest } = await rig.start({ prefetch: calls.length });
    const s = c.last;
    await c.until(() => c.credit(s) >= calls.length);
    c.send(s, {
      $case: 'assign',
      value: { acceptedAttemptIds: [], tasks: calls.map(([name, args], i) => oneTask(digest, `t${i}`, name, args, { seq: i, resultWaitMs: waitMs })) },
    });
    await c.until(() => c.resultIds(s).length === calls.length);
    return c.of(s, 'results').map((b) => b.results.map((r) => r.attemptId));
  };

  const busy4: [string, unknown[]][] = [0, 1, 2, 3].map(() => ['busy', [40]]);

  it('holds results while tasks are queued behind them, and sends them once none is left to start', async () => {
    // A minute's wait: the test ends in well under that only if nothing waited for it. t2's result
    // goes when t3 has started (nothing queued is left), t3's at once.
    const started = performance.now();
    expect(await run(60_000, busy4)).toEqual([['t0', 't1', 't2'], ['t3']]);
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it('sends each result at once when the coordinator gives no wait', async () => {
    expect(await run(0, busy4)).toEqual([['t0'], ['t1'], ['t2'], ['t3']]);
  });

  it('sends a failure at once, with the results held before it', async () => {
    const calls: [string, unknown[]][] = [['busy', [40]], ['failOn', [3, 3]], ['busy', [40]], ['busy', [40]]];
    expect(await run(60_000, calls)).toEqual([['t0', 't1'], ['t2'], ['t3']]);
  });

  it('holds a result no longer than its wait', async () => {
    // Each task runs 300 ms: a result held 50 ms goes out long before the next task ends.
    expect(await run(50, [0, 1, 2].map(() => ['busy', [300]]))).toEqual([['t0'], ['t1'], ['t2']]);
  });
});
