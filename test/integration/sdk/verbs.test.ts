// Every Pool verb through a coordinator and two agents, each a separate OS process.
import { describe, expect, it } from 'vitest';
import { Pool, TaskError, UsageError } from '../../../src/sdk/index.ts';
import { CoordinatorChannel, type JobRunRequest } from '../../../src/sdk/CoordinatorChannel.ts';
import { usePoolOnCluster, type FixtureTasks } from '../usePoolOnCluster.ts';

const env = usePoolOnCluster({ agents: 2, processes: 1 });

describe('map', () => {
  it('returns results in input order', async () => {
    const xs = Array.from({ length: 200 }, (_, i) => i);
    expect(await env.pool.map(env.tasks.square, xs)).toEqual(xs.map((x) => x * x));
  });

  it('keeps input order when later tasks finish first', async () => {
    const delays = [300, 10, 200, 5, 100, 1];
    expect(await env.pool.map(env.tasks.sleep, delays, { chunksize: 1 })).toEqual(delays);
  });

  it('groups items into tasks by chunksize and still returns every item in order', async () => {
    const xs = Array.from({ length: 101 }, (_, i) => i);
    const out = await env.pool.map(env.tasks.whereAmI, xs, { chunksize: 10 });
    expect(out.map((r) => r.x)).toEqual(xs);
    // 101 items in chunks of 10 make 11 tasks: items of one chunk share one task id.
    expect(new Set(out.map((r) => r.taskId)).size).toBe(11);
    expect(out[25]!.taskId).toBe(out[20]!.taskId);
    expect(out.map((r) => r.index)).toEqual(xs);
  });

  it('spreads work over both agents', async () => {
    const out = await env.pool.map(env.tasks.whereAmI, Array.from({ length: 40 }, (_, i) => i), { chunksize: 1 });
    expect(new Set(out.map((r) => r.agent))).toEqual(new Set(['agent-1', 'agent-2']));
  });

  it('returns [] for empty input', async () => {
    expect(await env.pool.map(env.tasks.square, [])).toEqual([]);
    expect(await env.pool.starmap(env.tasks.add, [])).toEqual([]);
  });
});

describe('starmap', () => {
  it('spreads each item as arguments', async () => {
    expect(await env.pool.starmap(env.tasks.add, [[1, 2], [3, 4], [10, -10]])).toEqual([3, 7, 0]);
  });
});

describe('imap', () => {
  it('streams results in input order', async () => {
    const got: number[] = [];
    for await (const v of env.pool.imap(env.tasks.sleep, [200, 1, 100, 2, 50])) got.push(v);
    expect(got).toEqual([200, 1, 100, 2, 50]);
  });

  it('yields nothing for empty input', async () => {
    const got: number[] = [];
    for await (const v of env.pool.imap(env.tasks.square, [])) got.push(v);
    expect(got).toEqual([]);
  });
});

describe('imapUnordered', () => {
  it('yields every result once, in completion order', async () => {
    const delays = [400, 1, 1, 1];
    const got: number[] = [];
    for await (const v of env.pool.imapUnordered(env.tasks.sleep, delays, { chunksize: 1 })) got.push(v);
    expect([...got].sort((a, b) => a - b)).toEqual([...delays].sort((a, b) => a - b));
    // The slow item cannot come first when three fast ones run beside it.
    expect(got[0]).not.toBe(400);
  });

  it('returns the same set as map, with chunking', async () => {
    const xs = Array.from({ length: 300 }, (_, i) => i);
    const got: number[] = [];
    for await (const v of env.pool.imapUnordered(env.tasks.square, xs, { chunksize: 7 })) got.push(v);
    expect(got.sort((a, b) => a - b)).toEqual(xs.map((x) => x * x));
  });
});

describe('imap / imapUnordered batches()', () => {
  it('gives each task\'s results as one array: in input order for imap, every result once for imapUnordered', async () => {
    const xs = Array.from({ length: 10 }, (_, i) => i);
    const ordered: number[][] = [];
    for await (const batch of env.pool.imap(env.tasks.square, xs, { chunksize: 3 }).batches()) ordered.push(batch);
    expect(ordered).toEqual([[0, 1, 4], [9, 16, 25], [36, 49, 64], [81]]);
    expect(ordered.every((b) => Array.isArray(b))).toBe(true);
    const unordered: number[][] = [];
    for await (const batch of env.pool.imapUnordered(env.tasks.square, xs, { chunksize: 3 }).batches()) unordered.push(batch);
    expect(unordered.map((b) => b.length).sort()).toEqual([1, 3, 3, 3]);
    expect(unordered.flat().sort((a, b) => a - b)).toEqual(xs.map((x) => x * x));
  });

  it('throws the failing task\'s TaskError after the batches before it; a stream left early is consumed for good', async () => {
    const got: number[][] = [];
    const error = await (async () => {
      for await (const batch of env.pool.imap(env.tasks.failOn, [1, 2, 3, 4, 5, 6], { chunksize: 2 }).batches()) got.push(batch);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskError);
    expect((error as TaskError).index).toBe(2);
    expect(got).toEqual([[1, 2]]);
    const stream = env.pool.imap(env.tasks.sleep, [1, 5000, 5000], { chunksize: 1 });
    for await (const batch of stream.batches()) {
      expect(batch).toEqual([1]);
      break;
    }
    // Consumed once: a second loop (per item or by batch) is refused.
    await expect(async () => {
      for await (const _ of stream) void _;
    }).rejects.toThrow(UsageError);
  });
});

describe('apply / applyAsync', () => {
  it('apply runs one task with spread arguments', async () => {
    expect(await env.pool.apply(env.tasks.add, 2, 3)).toBe(5);
  });

  it('applyAsync returns a handle whose get() resolves with the value', async () => {
    const h = env.pool.applyAsync(env.tasks.add, [20, 22]);
    expect(h.ready()).toBe(false);
    expect(await h.get()).toBe(42);
    expect(h.ready()).toBe(true);
    expect(h.successful()).toBe(true);
  });
});

describe('mapAsync', () => {
  it('gives the job id at once and the results later', async () => {
    const job = env.pool.mapAsync(env.tasks.square, [1, 2, 3]);
    expect(job.id).toMatch(/^j-/);
    expect(await job.result()).toEqual([1, 4, 9]);
  });

  it('cancel() stops the job and its result rejects with an AbortError', async () => {
    const job = env.pool.mapAsync(env.tasks.sleep, Array.from({ length: 20 }, () => 2000));
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await job.cancel();
    await expect(job.result()).rejects.toMatchObject({ name: 'AbortError', code: 'DROVER_CANCELLED' });
    expect(Date.now() - started).toBeLessThan(5000);
    // The cluster is free again right away: cancelled tasks were stopped, not left running.
    expect(await env.pool.map(env.tasks.square, [5], { timeoutMs: 10_000 })).toEqual([25]);
  });

  it('an aborted signal cancels a map', async () => {
    const ac = new AbortController();
    const p = env.pool.map(env.tasks.sleep, [3000, 3000, 3000], { chunksize: 1, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('progress', () => {
  it('reports completed items and task progress values', async () => {
    const events: { completed: number; task?: { value: unknown } }[] = [];
    await env.pool.map(env.tasks.withProgress, [3], { onProgress: (e) => events.push(e) });
    expect(events.at(-1)!.completed).toBe(1);
    const values = events.filter((e) => e.task).map((e) => e.task!.value as { step: number });
    expect(values.length).toBeGreaterThan(0);
    expect(values.at(-1)).toEqual({ step: 3, of: 3 });
  });
});

describe('result batching', () => {
  it('lets the coordinator batch the results of map and starmap only (their caller reads none before the end)', async () => {
    // A pool of its own on a channel whose job streams are watched: each stream's first message is its open.
    const channel = new CoordinatorChannel({ address: env.cluster.address });
    const batchMax: Record<string, number> = {};
    const runJob = channel.runJob.bind(channel);
    channel.runJob = () => {
      const call = runJob();
      const write = call.write.bind(call);
      call.write = ((request: JobRunRequest, ...rest: never[]) => {
        if (!(request instanceof Uint8Array) && request.msg?.$case === 'open') batchMax[request.msg.value.name] = request.msg.value.resultsBatchMax;
        return write(request, ...rest);
      }) as typeof call.write;
      return call;
    };
    const pool = new Pool(channel);
    try {
      const tasks = await pool.load<FixtureTasks>(new URL('../../fixtures/tasks.ts', import.meta.url));
      await pool.map(tasks.square, [1, 2]);
      await pool.starmap(tasks.add, [[1, 2]]);
      for await (const _ of pool.imap(tasks.square, [1])) void _;
      for await (const _ of pool.imapUnordered(tasks.square, [1])) void _;
      await pool.apply(tasks.square, 3);
    } finally {
      await pool.close();
    }
    expect(batchMax).toEqual({ 'map square': 64, 'starmap add': 64, 'imap square': 0, 'imapUnordered square': 0, 'apply square': 0 });
  });
});
