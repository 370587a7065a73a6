// apply / applyAsync through apply sessions: many calls on one open job, each with its own result
// or error, through a coordinator and two agents in separate processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, TaskError, connect, type Pool } from '../../../src/sdk/index.ts';
import { CoordinatorChannel } from '../../../src/sdk/CoordinatorChannel.ts';
import type { pb } from '../../../src/protocol/index.ts';
import { usePoolOnCluster, type FixtureTasks } from '../usePoolOnCluster.ts';

const env = usePoolOnCluster({ agents: 2, processes: 1 });
let channel: CoordinatorChannel;
beforeAll(() => {
  channel = new CoordinatorChannel({ address: env.cluster.address });
});
afterAll(() => channel?.close());

function jobInfo(jobId: string): Promise<pb.JobInfo> {
  return new Promise((resolve, reject) => channel.jobs.get({ jobId }, (err, info) => (err ? reject(err) : resolve(info))));
}

describe('apply sessions', () => {
  it('carries many concurrent applyAsync calls on one job, each resolving with its own value', async () => {
    const handles = Array.from({ length: 500 }, (_, i) => env.pool.applyAsync(env.tasks.add, [i, 1000]));
    const values = await Promise.all(handles.map((h) => h.get()));
    expect(values).toEqual(Array.from({ length: 500 }, (_, i) => i + 1000));
    const jobIds = new Set(handles.map((h) => h.jobId));
    expect(jobIds.size).toBe(1);
    const info = await jobInfo([...jobIds][0]!);
    expect(info.state).toBe('open');
    expect(info.name).toBe('apply add');
    expect(Number(info.tasksCompleted)).toBeGreaterThanOrEqual(500);
    // Sequential apply of the same function rides the same job.
    expect(await env.pool.apply(env.tasks.add, 1, 2)).toBe(3);
    expect(handles.every((h) => h.ready() && h.successful())).toBe(true);
  });

  it('rejects only the failing call: with its TaskError (index 0, attempt, agent), and the session goes on', async () => {
    const xs = Array.from({ length: 60 }, (_, i) => i);
    const handles = xs.map((x) => env.pool.applyAsync(env.tasks.failOn, [x, x % 10 === 3 ? x : -1]));
    const settled = await Promise.allSettled(handles.map((h) => h.get()));
    for (const [x, s] of settled.entries()) {
      if (x % 10 === 3) {
        expect(s.status).toBe('rejected');
        const err = (s as PromiseRejectedResult).reason as TaskError;
        expect(err).toBeInstanceOf(TaskError);
        expect(err.kind).toBe('error');
        expect(err.remoteName).toBe('ParseFailure');
        expect(err.remoteMessage).toBe(`cannot handle ${x}`);
        expect(err.index).toBe(0);
        expect(err.attempt).toBe(1);
        expect(err.agent).toMatch(/^agent-[12]$/);
      } else {
        expect(s).toEqual({ status: 'fulfilled', value: x });
      }
    }
    expect(new Set(handles.map((h) => h.jobId)).size).toBe(1);
    // The job is still open and takes more calls after the failures.
    await expect(env.pool.apply(env.tasks.failOn, 7, 3)).resolves.toBe(7);
    await expect(env.pool.apply(env.tasks.failOn, 3, 3)).rejects.toBeInstanceOf(TaskError);
    expect((await jobInfo(handles[0]!.jobId)).state).toBe('open');
  });

  it('runs each call as its own item: its own index in the session job, a task id per call', async () => {
    const out = await Promise.all([1, 2, 3].map((x) => env.pool.apply(env.tasks.whereAmI, x)));
    expect(out.map((r) => r.x)).toEqual([1, 2, 3]);
    expect(new Set(out.map((r) => r.index)).size).toBe(3);
    expect(new Set(out.map((r) => r.taskId)).size).toBe(3);
  });

  it('keeps calls with different options on different jobs, and honours each one’s timeoutMs', async () => {
    const plain = env.pool.applyAsync(env.tasks.sleep, [10]);
    const limited = env.pool.applyAsync(env.tasks.sleep, [5000], { timeoutMs: 200 });
    const quick = env.pool.applyAsync(env.tasks.sleep, [10], { timeoutMs: 200 });
    expect(plain.jobId).not.toBe(limited.jobId);
    expect(quick.jobId).toBe(limited.jobId);
    expect(await plain.get()).toBe(10);
    expect(await quick.get()).toBe(10);
    const err = (await limited.get().catch((e: unknown) => e)) as TaskError;
    expect(err).toBeInstanceOf(TaskError);
    expect(err.kind).toBe('timeout');
  });

  it('gives a call with a signal a job of its own: aborting it cancels that call only', async () => {
    const ac = new AbortController();
    const other = env.pool.applyAsync(env.tasks.sleep, [300]);
    const own = env.pool.applyAsync(env.tasks.sleep, [5000], { signal: ac.signal });
    expect(own.jobId).not.toBe(other.jobId);
    setTimeout(() => ac.abort(), 100);
    const err = await own.get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as Error).name).toBe('AbortError');
    expect(await other.get()).toBe(300);
  });

  it('ends an idle session (its job completes) and opens a new one for the next call', async () => {
    const first = env.pool.applyAsync(env.tasks.square, [4]);
    expect(await first.get()).toBe(16);
    // The idle limit is 2 s; wait past it.
    await new Promise((r) => setTimeout(r, 3000));
    const info = await jobInfo(first.jobId).catch(() => undefined);
    // Completed, or already forgotten once the client read its end.
    if (info) expect(info.state).toBe('completed');
    const second = env.pool.applyAsync(env.tasks.square, [5]);
    expect(second.jobId).not.toBe(first.jobId);
    expect(await second.get()).toBe(25);
  });
});

describe('closing a pool with apply sessions', () => {
  let pool: Pool;
  let tasks: FixtureTasks;
  beforeAll(async () => {
    pool = await connect({ address: env.cluster.address });
    tasks = await pool.load<FixtureTasks>(new URL('../../fixtures/tasks.ts', import.meta.url));
  });

  it('close() lets calls in flight finish and completes the session job', async () => {
    const h = pool.applyAsync(tasks.sleep, [200]);
    const closed = pool.close();
    expect(await h.get()).toBe(200);
    await closed;
    const info = await jobInfo(h.jobId).catch(() => undefined);
    if (info) expect(info.state).toBe('completed');
  });

  it('terminate() rejects calls in flight with CancelledError', async () => {
    const p2 = await connect({ address: env.cluster.address });
    const t2 = await p2.load<FixtureTasks>(new URL('../../fixtures/tasks.ts', import.meta.url));
    const h = p2.applyAsync(t2.sleep, [5000]);
    const call = p2.apply(t2.sleep, 5000);
    await new Promise((r) => setTimeout(r, 100));
    await p2.terminate();
    await expect(h.get()).rejects.toBeInstanceOf(CancelledError);
    await expect(call).rejects.toBeInstanceOf(CancelledError);
  });
});
