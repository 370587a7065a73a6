// Workers that exit, abort, run out of heap or spin forever: typed errors, a pool back at full size,
// an agent still alive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, TaskError, type Pool } from '../../src/sdk/index.ts';
import { ProcessCluster } from '../integration/ProcessCluster.ts';

type Tasks = typeof import('../fixtures/tasks.ts');

let cluster: ProcessCluster;
let pool: Pool;
let tasks: Tasks;

beforeAll(async () => {
  // A small heap makes exhaustion quick; forked workers inherit NODE_OPTIONS.
  cluster = await ProcessCluster.start({ agents: 1, processes: 2, agentEnv: { NODE_OPTIONS: '--max-old-space-size=64' } });
  pool = await connect({ address: cluster.address });
  tasks = await pool.load<Tasks>(new URL('../fixtures/tasks.ts', import.meta.url));
});

afterAll(async () => {
  await pool?.close();
  await cluster?.stop();
});

async function expectFullPool(): Promise<void> {
  const out = await pool.map(tasks.whereAmISlow, Array.from({ length: 12 }, (_, i) => i), { chunksize: 1 });
  expect(new Set(out.map((r) => r.worker))).toEqual(new Set(['worker-1', 'worker-2']));
  expect(cluster.agents[0]!.exitCode).toBe(null);
}

async function failureOf(p: Promise<unknown>): Promise<TaskError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(TaskError);
  return err as TaskError;
}

describe('worker faults', () => {
  it('process.exit(1) gives kind crashed with the exit code', async () => {
    const err = await failureOf(pool.map(tasks.exitMidTask, [0, 1, 2], { chunksize: 1, retries: 0 }));
    expect(err.kind).toBe('crashed');
    expect(err.exitCode).toBe(7);
    await expectFullPool();
  });

  it('process.abort() gives kind crashed with SIGABRT', async () => {
    const err = await failureOf(pool.map(tasks.abortMidTask, [0, 1], { chunksize: 1, retries: 0 }));
    expect(err.kind).toBe('crashed');
    expect(err.signal).toBe('SIGABRT');
    await expectFullPool();
  });

  it('heap exhaustion gives kind oom, not a hang', async () => {
    const err = await failureOf(pool.apply(tasks.exhaustHeap, 1));
    expect(err.kind).toBe('oom');
    expect(err.message).toMatch(/memory/i);
    await expectFullPool();
  });

  it('an infinite loop with timeoutMs gives kind timeout and the worker is replaced', async () => {
    const started = Date.now();
    const err = await failureOf(pool.map(tasks.spinForever, [1], { timeoutMs: 500, retries: 0 }));
    expect(err.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
    await expectFullPool();
  });
});
