// How failures reach the caller: typed errors with the remote detail, and a pool that recovers.
import { describe, expect, it } from 'vitest';
import { connect, PoolClosedError, TaskError, TimeoutError } from '../../../src/sdk/index.ts';
import { usePoolOnCluster, type FixtureTasks } from '../usePoolOnCluster.ts';

const env = usePoolOnCluster({ agents: 2, processes: 1 });

describe('a task that throws', () => {
  it('rejects map with a TaskError carrying the remote name, message, stack, index, attempt and agent', async () => {
    const err = await env.pool.map(env.tasks.failOn, [0, 1, 2, 3, 4], { chunksize: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskError);
    const te = err as TaskError;
    expect(te.code).toBe('DROVER_TASK_FAILED');
    expect(te.kind).toBe('error');
    expect(te.remoteName).toBe('ParseFailure');
    expect(te.remoteMessage).toBe('cannot handle 3');
    expect(te.index).toBe(3);
    expect(te.attempt).toBe(1);
    expect(['agent-1', 'agent-2']).toContain(te.agent);
    // The stack is the remote one, mapped back to the task module's source.
    expect(te.remoteStack).toContain('failOn');
    expect(te.remoteStack).toContain('fixtures/tasks.ts');
    expect(te.message).toContain('ParseFailure: cannot handle 3');
    expect((te.cause as Error).stack).toContain('fixtures/tasks.ts');
  });

  it('names the failing item inside a chunk', async () => {
    const err = (await env.pool.map(env.tasks.failOn, [0, 1, 2, 3, 4, 5], { chunksize: 4 }).catch((e: unknown) => e)) as TaskError;
    expect(err).toBeInstanceOf(TaskError);
    expect(err.index).toBe(3);
  });

  it('names the failing item inside a chunk that travelled packed', async () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 10);
    xs[77] = 3;
    const err = (await env.pool.map(env.tasks.failOn, xs, { chunksize: 50 }).catch((e: unknown) => e)) as TaskError;
    expect(err).toBeInstanceOf(TaskError);
    expect(err.index).toBe(77);
  });

  it('makes imap yield the results before the failing index, then throw', async () => {
    const got: number[] = [];
    const err = await (async () => {
      for await (const v of env.pool.imap(env.tasks.failOn, [0, 1, 2, 3, 4, 5], { chunksize: 1 })) got.push(v);
    })().catch((e: unknown) => e);
    expect(got).toEqual([0, 1, 2]);
    expect(err).toBeInstanceOf(TaskError);
    expect((err as TaskError).index).toBe(3);
  });

  it('makes apply reject', async () => {
    await expect(env.pool.apply(env.tasks.failOn, 3, 3)).rejects.toBeInstanceOf(TaskError);
  });
});

describe('a worker that dies mid-task', () => {
  it('gives a TaskError of kind crashed with the exit code, and the pool keeps working', async () => {
    const err = (await env.pool.map(env.tasks.exitMidTask, [0, 1, 2], { chunksize: 1, retries: 0 }).catch((e: unknown) => e)) as TaskError;
    expect(err).toBeInstanceOf(TaskError);
    expect(err.kind).toBe('crashed');
    expect(err.exitCode).toBe(7);
    expect(err.index).toBe(1);
    expect(err.message).toMatch(/exited with code 7/);
    // The dead worker was replaced: the same agents run the next job.
    const xs = Array.from({ length: 20 }, (_, i) => i);
    expect(await env.pool.map(env.tasks.square, xs, { chunksize: 1 })).toEqual(xs.map((x) => x * x));
  });

  it('is retried (retries > 0) and still fails for a task that always kills its worker', async () => {
    const err = (await env.pool.map(env.tasks.exitMidTask, [1], { retries: 1 }).catch((e: unknown) => e)) as TaskError;
    expect(err).toBeInstanceOf(TaskError);
    expect(err.kind).toBe('crashed');
    expect(err.attempt).toBe(2);
  });
});

describe('AsyncResult.get({ timeoutMs })', () => {
  it('rejects with TimeoutError while the task goes on, and a later get() has the value', async () => {
    const h = env.pool.applyAsync(env.tasks.sleep, [600]);
    await expect(h.get({ timeoutMs: 50 })).rejects.toBeInstanceOf(TimeoutError);
    expect(await h.get()).toBe(600);
  });
});

describe('misuse', () => {
  it('refuses a function that was not loaded as a task', async () => {
    await expect(env.pool.map((x: number) => x, [1])).rejects.toThrow(/pool.load/);
  });

  it('refuses an unknown export with the list of real ones', async () => {
    expect(() => (env.tasks as unknown as Record<string, unknown>).nope).toThrow(/no export named nope.*square/);
  });

  it('gives a clear error when a closed pool is used', async () => {
    const p2 = await connect({ address: env.cluster.address });
    const t2 = await p2.load<FixtureTasks>(new URL('../../fixtures/tasks.ts', import.meta.url));
    await p2.close();
    await expect(p2.map(t2.square, [1])).rejects.toBeInstanceOf(PoolClosedError);
    await expect(p2.map(t2.square, [1])).rejects.toThrow(/closed.*connect\(\)/);
    expect(() => p2.imap(t2.square, [1])).toThrow(PoolClosedError);
  });
});
