// Inputs too large to go as arguments: refused with a UsageError that names the limit and the way to
// send large data (a file in the blob store), and only the call or job that carried them fails.
import { describe, expect, it } from 'vitest';
import { CodecError, MAX_MESSAGE_BYTES } from '../../../src/protocol/index.ts';
import { connect, UsageError } from '../../../src/sdk/index.ts';
import { usePoolOnCluster, type FixtureTasks } from '../usePoolOnCluster.ts';

const MiB = 1024 * 1024;
const env = usePoolOnCluster({ agents: 1, processes: 1, coordinatorArgs: ['--max-task-bytes', String(MiB)] });

describe('inputs over the limits', () => {
  it('fails a map whose task is over the coordinator\'s --max-task-bytes with a UsageError naming the flag; the pool goes on', async () => {
    // The pool's first job: it does not know the limit yet, so the coordinator refuses the task.
    const err = await env.pool.map(env.tasks.checksum, [new Uint8Array(10), new Uint8Array(2 * MiB)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(
      /^coordinator \S+ refused a task: task 1 of job \S+ \(item 1\) is \d+ bytes, over the limit of 1048576 bytes a task may be on this coordinator \(set with drover coordinator --max-task-bytes\)\. Send large data as a file: .*pool\.uploadFile\(path\)/,
    );
    expect(await env.pool.map(env.tasks.square, [1, 2, 3])).toEqual([1, 4, 9]);
  });

  it('fails only the oversized call of a new pool\'s first apply session, which goes out before the pool knows the limit', async () => {
    const pool = await connect({ address: env.cluster.address });
    try {
      const tasks = await pool.load<FixtureTasks>(new URL('../../fixtures/tasks.ts', import.meta.url));
      const inFlight = [pool.applyAsync(tasks.sleep, [300]), pool.applyAsync(tasks.sleep, [300])];
      const err = await pool.apply(tasks.sleep, new Uint8Array(2 * MiB) as unknown as number).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(/refused a task: task 2 of job \S+ \(item 2\) is \d+ bytes, over the limit of 1048576 bytes/);
      expect(await Promise.all(inFlight.map((h) => h.get()))).toEqual([300, 300]);
      expect(await pool.apply(tasks.sleep, 2)).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('rejects an apply whose argument is over the limit, before sending it; the session takes the next call', async () => {
    const small = await env.pool.applyAsync(env.tasks.checksum, [new Uint8Array([1, 2])]).get();
    const err = await env.pool.apply(env.tasks.checksum, new Uint8Array(MAX_MESSAGE_BYTES)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    // The first call's `opened` told the pool the coordinator's limit (a message's, 64 MiB, when it has none).
    expect((err as Error).message).toMatch(/encodes to 64 MiB, more than the 1 MiB coordinator \S+ accepts \(its --max-task-bytes\)\. .*pool\.uploadFile\(path\)/);
    expect(await env.pool.apply(env.tasks.checksum, new Uint8Array([1, 2]))).toBe(small);
  });

  it('rejects only the call over the coordinator\'s --max-task-bytes once a job has told the pool the limit; calls in flight on the same session finish', async () => {
    // The session's `opened` says the coordinator's limit.
    expect(await env.pool.apply(env.tasks.sleep, 1)).toBe(1);
    const inFlight = [env.pool.applyAsync(env.tasks.sleep, [300]), env.pool.applyAsync(env.tasks.sleep, [300])];
    const err = await env.pool.apply(env.tasks.sleep, new Uint8Array(2 * MiB) as unknown as number).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/encodes to 2 MiB, more than the 1 MiB coordinator \S+ accepts \(its --max-task-bytes\)\. Send large data as a file: .*pool\.uploadFile\(path\)/);
    expect(await Promise.all(inFlight.map((h) => h.get()))).toEqual([300, 300]);
    expect(await env.pool.apply(env.tasks.sleep, 2)).toBe(2);
  });

  it('rejects an applyAsync whose argument cannot be encoded through its handle, not by throwing', async () => {
    const handle = env.pool.applyAsync(env.tasks.echo, [() => 1] as unknown as [unknown]);
    await expect(handle.get()).rejects.toBeInstanceOf(CodecError);
    expect(await env.pool.apply(env.tasks.echo, 5)).toBe(5);
  });
});
