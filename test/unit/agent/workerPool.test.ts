import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolHarness } from './poolHarness.ts';

describe('WorkerPool.cancelQueued', () => {
  it('also takes back the tasks sent ahead to a busy worker, reports nothing for them, and lists only what runs', async () => {
    const h = await PoolHarness.start(1);
    try {
      // Teach the pool that tasks are tiny, so the squares below go ahead, behind the sleep.
      await Promise.all(Array.from({ length: 5 }, (_, i) => h.result(h.submit('square', [[i]]))));
      const running = h.submit('sleep', [[300]]);
      const ahead = [h.submit('square', [[1]]), h.submit('square', [[2]]), h.submit('square', [[3]])];
      await new Promise((resolve) => setImmediate(resolve));
      expect(h.pool.cancelQueued()).toBe(3);
      expect(h.pool.attemptIds()).toEqual([running]);
      for (const id of ahead) expect((await h.result(id)).outcome).toBeUndefined();
      expect((await h.result(running)).outcome?.$case).toBe('value');
    } finally {
      await h.stop();
    }
  });

  it('reports a task sent ahead that its worker had started before the request came back: it ran, so it does not run again elsewhere', async () => {
    const h = await PoolHarness.start(1);
    try {
      await Promise.all(Array.from({ length: 5 }, (_, i) => h.result(h.submit('square', [[i]]))));
      // `busy` blocks the worker's event loop: the request to give `square` back is read only after the
      // worker has moved on to it, as when a task ends just as the agent drains.
      const running = h.submit('busy', [[300]]);
      const ahead = h.submit('square', [[7]]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(h.pool.cancelQueued()).toBe(1);
      expect(h.pool.attemptIds()).toEqual([running]);
      expect(await h.value(running)).toEqual([300]);
      expect(await h.value(ahead)).toEqual([49]);
    } finally {
      await h.stop();
    }
  });
});

describe('WorkerPool runs task bundles in worker processes', () => {
  let h: PoolHarness;
  beforeAll(async () => {
    h = await PoolHarness.start(2);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('calls the export once per item and returns the CBOR array of results', async () => {
    const id = h.submit('square', [[1], [2], [3]]);
    expect(await h.value(id)).toEqual([1, 4, 9]);
    const add = h.submit('add', [[2, 3], [10n, 5n]]);
    expect(await h.value(add)).toEqual([5, 15n]);
  });

  it('gives every item its own context, for synchronous, async and sometimes-async functions', async () => {
    const items = [[0], [1], [2], [3], [4]];
    expect(await h.value(h.submit('indexAfterAwait', items, { firstIndex: 10 }))).toEqual([10, 11, 12, 13, 14]);
    expect(await h.value(h.submit('whoami', items, { firstIndex: 20 }))).toMatchObject([20, 21, 22, 23, 24].map((index) => ({ index })));
    // Item 0 is synchronous (the fast path starts at item 1); item 1's promise sends the rest through als.run.
    expect(await h.value(h.submit('sometimesLater', items, { firstIndex: 30 }))).toEqual([30, 31, 32, 33, 34]);
  });

  it("ignores what a task itself sends on its worker's channel, and still reports the task's own result", async () => {
    const id = h.submit('talksOnChannel', [[1], [2]]);
    expect(await h.value(id)).toEqual([2, 3]);
    // The worker keeps working after it.
    expect(await h.value(h.submit('square', [[4]]))).toEqual([16]);
  });

  it('reports a thrown error with kind error, the item offset and the remote stack', async () => {
    const id = h.submit('failOn', [[1, 3], [2, 3], [3, 3], [4, 3]]);
    const f = await h.failure(id);
    expect(f.kind).toBe('error');
    expect(f.name).toBe('RangeError');
    expect(f.message).toBe('bad item 3');
    expect(f.itemOffset).toBe(2);
    expect(f.stack).toContain('failOn');
    expect(f.stack).toContain('bundle.mjs');
    // drover's own frames (the worker loop) are cut off: the stack is the task's.
    expect(f.stack).not.toContain('workerMain');
  });

  it('fails with kind internal for a missing export, naming the exports', async () => {
    const f = await h.failure(h.submit('nope', [[1]]));
    expect(f.kind).toBe('internal');
    expect(f.message).toContain('"nope"');
    expect(f.message).toContain('square');
  });

  it('fails with kind internal, at once, a task needing more slots than the pool has', async () => {
    const f = await h.failure(h.submit('square', [[1]], { slots: 3 }));
    expect(f.kind).toBe('internal');
    expect(f.message).toContain('needs 3 slots');
  });

  it('runs a two-slot task while holding both workers', async () => {
    const wide = h.submit('sleep', [[150]], { slots: 2 });
    const narrow = h.submit('square', [[5]]);
    const [w, n] = await Promise.all([h.result(wide), h.result(narrow)]);
    expect(w.outcome?.$case).toBe('value');
    expect(n.outcome?.$case).toBe('value');
    // The narrow task came second and could not start before the wide one released its slots.
    const order = [...h.settled.keys()];
    expect(order.indexOf(wide)).toBeLessThan(order.indexOf(narrow));
  });

  it('keeps both workers busy and finishes many tiny tasks', async () => {
    const ids = Array.from({ length: 400 }, (_, i) => h.submit('square', [[i]]));
    const values = await Promise.all(ids.map((id) => h.value<number[]>(id)));
    expect(values.map((v) => v[0])).toEqual(Array.from({ length: 400 }, (_, i) => i * i));
    const workers = new Set(ids.map((id) => h.settled.get(id)!.worker));
    expect(workers).toEqual(new Set(['worker-1', 'worker-2']));
  });

  it('lets an idle worker take back the short tasks sent ahead behind a long one', async () => {
    // Tasks are known to be tiny by now, so both workers get squares sent ahead, one behind the long sleep.
    const long = h.submit('sleep', [[500]]);
    const short = Array.from({ length: 20 }, (_, i) => h.submit('square', [[i]]));
    await Promise.all(short.map((id) => h.result(id)));
    expect(h.settled.has(long)).toBe(false);
    await h.result(long);
    expect(new Set(short.map((id) => h.settled.get(id)!.worker)).size).toBe(1);
    expect(h.settled.get(long)!.worker).not.toBe(h.settled.get(short[0])!.worker);
  });

  it('sends one task ahead behind a running one when tasks take tens of ms, and the worker that frees first takes it back', async () => {
    // Teach the pool that this job's tasks take ~20 ms: above the "tiny" bound, below the one-ahead bound.
    const job = { jobId: 'short-tasks' };
    await Promise.all([h.submit('sleep', [[20]], job), h.submit('sleep', [[20]], job)].map((id) => h.result(id)));
    await h.result(h.submit('sleep', [[20]], job));
    const long = h.submit('sleep', [[400]], job);
    const shorter = h.submit('sleep', [[60]], job);
    // Sent ahead to the worker that started first (the long one's); taken back once the other is free.
    const next = h.submit('napWho', [[1]], job);
    const ran = await h.value<{ worker: string }[]>(next);
    expect(h.settled.has(long)).toBe(false);
    expect(ran[0].worker).toBe(h.settled.get(shorter)!.worker);
    expect(ran[0].worker).not.toBe((await h.result(long)).worker);
  });

  it("starts a new job of a function it has seen with one task ahead, going by that function's last job, and a function it has not seen with none", async () => {
    // Job 1 teaches the pool that `sleep` tasks take ~20 ms (one-ahead range).
    const taught = { jobId: 'sleeps-1' };
    await Promise.all([h.submit('sleep', [[20]], taught), h.submit('sleep', [[20]], taught)].map((id) => h.result(id)));
    await h.result(h.submit('sleep', [[20]], taught));
    // A new job of the same function, before any of its own tasks ended: the third goes ahead to a busy worker.
    const next = { jobId: 'sleeps-2' };
    const ids = [h.submit('sleep', [[80]], next), h.submit('sleep', [[40]], next), h.submit('sleep', [[10]], next)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.pool.running).toBe(2);
    // takeBack gives back only what waits here, not what went ahead to a worker.
    expect(h.pool.takeBack(1)).toEqual([]);
    for (const id of ids) expect((await h.result(id)).outcome?.$case).toBe('value');
    // A function this pool never ran waits here for a free worker (nothing says its tasks are short).
    const unseen = { jobId: 'busy-1' };
    const busy = [h.submit('busy', [[40]], unseen), h.submit('busy', [[40]], unseen), h.submit('busy', [[1]], unseen)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.pool.takeBack(1)).toEqual([busy[2]]);
    await Promise.all(busy.map((id) => h.result(id)));
  });

  it('drops cancelled tasks, queued here or sent ahead to a worker, and reports nothing for them', async () => {
    // Tasks are known to be tiny by now, so busy workers also get tasks sent ahead.
    const busy = [h.submit('sleep', [[200]]), h.submit('sleep', [[200]])];
    const ahead = [h.submit('square', [[5]]), h.submit('square', [[6]])];
    await new Promise((r) => setImmediate(r));
    expect(h.pool.running).toBe(2);
    // Submitted and cancelled in one go: it never leaves the pool's queue.
    const queued = h.submit('square', [[7]]);
    expect(h.pool.cancel(queued)).toBe(true);
    expect(h.pool.cancel(ahead[0])).toBe(true);
    expect(h.pool.cancel('no-such-attempt')).toBe(false);
    await Promise.all([...busy, ahead[1]].map((id) => h.result(id)));
    expect(await h.value(ahead[1])).toEqual([36]);
    await h.result(ahead[0]);
    expect(h.settled.get(ahead[0])!.outcome).toBeUndefined();
    expect(h.settled.get(queued)!.outcome).toBeUndefined();
    expect(h.pool.queued + h.pool.running).toBe(0);
  });
});
