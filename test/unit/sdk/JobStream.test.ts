// JobStream against a scripted Jobs service on a real socket: drives the re-attach paths that a real
// coordinator reaches only through narrow crash timings.
import * as grpc from '@grpc/grpc-js';
import { afterEach, expect, it } from 'vitest';
import { ConnectionError, decodeTaskPayload, encodeValue, MAX_MESSAGE_BYTES, pb, TASK_TOO_LARGE_CODE, TaskError, UsageError } from '../../../src/protocol/index.ts';
import { CoordinatorChannel } from '../../../src/sdk/CoordinatorChannel.ts';
import { JobStream, type JobSpec } from '../../../src/sdk/JobStream.ts';

type RunCall = grpc.ServerDuplexStream<pb.JobRequest, pb.JobResponse>;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A Jobs service whose n-th Run call is handled by `script[n]`; records the first message of each. */
async function scriptedCoordinator(script: ((call: RunCall, first: pb.JobRequest) => void)[]): Promise<{ address: string; firsts: string[]; cancels: string[] }> {
  const firsts: string[] = [];
  const cancels: string[] = [];
  const server = new grpc.Server();
  let n = 0;
  const impl: pb.JobsServer = {
    run(call) {
      const handler = script[Math.min(n++, script.length - 1)]!;
      call.once('data', (first: pb.JobRequest) => {
        firsts.push(first.msg?.$case ?? 'none');
        handler(call, first);
      });
    },
    cancel: (call, cb) => {
      cancels.push(call.request.jobId);
      cb(null, { cancelled: true });
    },
    get: (_call, cb) => cb({ code: grpc.status.UNIMPLEMENTED }),
    list: (_call, cb) => cb({ code: grpc.status.UNIMPLEMENTED }),
  };
  server.addService(pb.JobsService, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  cleanups.push(() => server.forceShutdown());
  return { address: `127.0.0.1:${port}`, firsts, cancels };
}

/** Answers like a coordinator that runs `double` on every input and completes at inputEnd. */
function serveDoubling(call: RunCall, first: pb.JobRequest): void {
  const jobId = first.msg?.$case === 'open' ? first.msg.value.jobId : '';
  call.write({ msg: { $case: 'opened', value: { jobId, tasksAccepted: 0, inputEnded: false, maxTaskBytes: 0 } } });
  let rseq = 0;
  call.on('data', (req: pb.JobRequest) => {
    if (req.msg?.$case === 'inputs') {
      const results = req.msg.value.tasks.map((t) => {
        const { spread, items } = decodeTaskPayload(t.payload);
        const values = Array.from(items, (a) => 2 * ((spread ? (a as unknown[])[0] : a) as number));
        return { seq: t.seq, rseq: ++rseq, attempt: 1, agent: 'a', worker: 'w', outcome: { $case: 'value' as const, value: Buffer.from(encodeValue(values)) } };
      });
      call.write({ msg: { $case: 'results', value: { results } } });
    } else if (req.msg?.$case === 'inputEnd') {
      call.write({ msg: { $case: 'end', value: { state: 'completed', message: '' } } });
      call.end();
    }
  });
}

function spec(): JobSpec {
  return {
    ref: { bundleDigest: 'd'.repeat(64), exportName: 'double', modulePath: 'tasks.ts' },
    name: 'map double',
    options: {},
    chunksize: 1,
    window: 16,
    spread: false,
    ordered: true,
  };
}

it('re-opens a job whose attach is refused with NOT_FOUND when nothing of it was ever accepted', async () => {
  const { address, firsts } = await scriptedCoordinator([
    // The coordinator goes away before the job was durable...
    (call) => call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'going away' }),
    // ...and comes back without it.
    (call) => call.emit('error', { code: grpc.status.NOT_FOUND, details: 'AttachJob: no job with id' }),
    serveDoubling,
  ]);
  const channel = new CoordinatorChannel({ address, reconnectTimeoutMs: 10_000 });
  cleanups.push(() => channel.close());
  const job = new JobStream<number>(channel, spec(), [1, 2, 3]);
  await expect(job.collect()).resolves.toEqual([2, 4, 6]);
  expect(firsts).toEqual(['open', 'attach', 'open']);
});

it('has told the coordinator to cancel a job whose input failed by the time `done` settles', async () => {
  const { address, cancels } = await scriptedCoordinator([serveDoubling]);
  const channel = new CoordinatorChannel({ address });
  cleanups.push(() => channel.close());
  function* failingInput(): Generator<number> {
    yield 1;
    throw new Error('input broke');
  }
  const job = new JobStream<number>(channel, spec(), failingInput());
  await expect(job.collect()).rejects.toThrow(/input broke/);
  // What Pool.close() waits for before it closes the channel (and the process may exit).
  await job.done;
  expect(cancels).toEqual([job.id]);
});

it('fails a job the coordinator refuses (a limit) with a UsageError that says so, not as a lost job', async () => {
  const { address } = await scriptedCoordinator([
    (call) => call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: 'job j: item count is 1000001 items, over the limit of 1000000 items (set with drover coordinator --max-items-per-job)' }),
  ]);
  const channel = new CoordinatorChannel({ address });
  cleanups.push(() => channel.close());
  const job = new JobStream<number>(channel, spec(), [1]);
  const err = await job.collect().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UsageError);
  expect((err as UsageError).code).toBe('DROVER_USAGE');
  expect((err as Error).message).toMatch(new RegExp(`^coordinator ${address} refused job ${job.id}: .*--max-items-per-job`));
});

it('fails a job that completes with results missing, rather than return a short or holed array', async () => {
  // A coordinator that lost a stored result (as after an OS crash took its file) and still says `completed`.
  const { address } = await scriptedCoordinator([
    (call, first) => {
      const jobId = first.msg?.$case === 'open' ? first.msg.value.jobId : '';
      call.write({ msg: { $case: 'opened', value: { jobId, tasksAccepted: 0, inputEnded: false, maxTaskBytes: 0 } } });
      let rseq = 0;
      call.on('data', (req: pb.JobRequest) => {
        if (req.msg?.$case === 'inputs') {
          const results = req.msg.value.tasks
            .filter((t) => t.seq !== 2)
            .map((t) => ({ seq: t.seq, rseq: ++rseq, attempt: 1, agent: 'a', worker: 'w', outcome: { $case: 'value' as const, value: Buffer.from(encodeValue([t.seq])) } }));
          call.write({ msg: { $case: 'results', value: { results } } });
        } else if (req.msg?.$case === 'inputEnd') {
          call.write({ msg: { $case: 'end', value: { state: 'completed', message: '' } } });
          call.end();
        }
      });
    },
  ]);
  const channel = new CoordinatorChannel({ address });
  cleanups.push(() => channel.close());
  for (const input of [[1, 2, 3, 4], [1, 2, 3]]) {
    // The last task missing (a short array) and a middle one (a hole), in `map` and `imap`.
    const job = new JobStream<number>(channel, spec(), input);
    const err = await job.collect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(new RegExp(`^job ${job.id} completed on the coordinator, but the results of 1 of its ${input.length} task\\(s\\) never arrived .*Run the job again`));
  }
  const streamed: number[] = [];
  const job = new JobStream<number>(channel, { ...spec(), ordered: false }, [1, 2, 3, 4]);
  const err = await (async () => {
    for await (const v of job) streamed.push(v);
  })().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConnectionError);
  expect(streamed.sort()).toEqual([0, 1, 3]);
});

/** Answers each input message with the byte length of every item, and records how many tasks each message held. */
function serveLengths(sizes: number[][], maxTaskBytes = 0): (call: RunCall, first: pb.JobRequest) => void {
  return (call, first) => {
    const jobId = first.msg?.$case === 'open' ? first.msg.value.jobId : '';
    call.write({ msg: { $case: 'opened', value: { jobId, tasksAccepted: 0, inputEnded: false, maxTaskBytes } } });
    let rseq = 0;
    call.on('data', (req: pb.JobRequest) => {
      if (req.msg?.$case === 'inputs') {
        sizes.push(req.msg.value.tasks.map((t) => t.payload.length));
        const results = req.msg.value.tasks.map((t) => {
          const values = Array.from(decodeTaskPayload(t.payload).items, (a) => (a as Uint8Array).byteLength);
          return { seq: t.seq, rseq: ++rseq, attempt: 1, agent: 'a', worker: 'w', outcome: { $case: 'value' as const, value: Buffer.from(encodeValue(values)) } };
        });
        call.write({ msg: { $case: 'results', value: { results } } });
      } else if (req.msg?.$case === 'inputEnd') {
        call.write({ msg: { $case: 'end', value: { state: 'completed', message: '' } } });
        call.end();
      }
    });
  };
}

it('sends a large task in a message of its own instead of on top of the batch before it', async () => {
  const sizes: number[][] = [];
  const { address } = await scriptedCoordinator([serveLengths(sizes)]);
  const channel = new CoordinatorChannel({ address });
  cleanups.push(() => channel.close());
  const items = [...Array.from({ length: 5 }, () => new Uint8Array(100_000)), new Uint8Array(3 << 20), new Uint8Array(10)];
  const job = new JobStream<number>(channel, { ...spec(), window: 64 }, items);
  await expect(job.collect()).resolves.toEqual(items.map((i) => i.byteLength));
  const big = sizes.find((m) => m.some((n) => n > 3 << 20))!;
  expect(big).toHaveLength(1);
  expect(sizes.flat()).toHaveLength(items.length);
});

it('refuses, before sending, a task too large for one message, and says how to send large data', async () => {
  const sizes: number[][] = [];
  const { address } = await scriptedCoordinator([serveLengths(sizes)]);
  const channel = new CoordinatorChannel({ address });
  cleanups.push(() => channel.close());
  const job = new JobStream<number>(channel, spec(), [new Uint8Array(10), new Uint8Array(MAX_MESSAGE_BYTES)]);
  const err = await job.collect().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UsageError);
  expect((err as Error).message).toMatch(/^task 1 of job \S+ \(item 1\) encodes to 64 MiB, more than one message to the coordinator carries \(64 MiB/);
  expect((err as Error).message).toContain('pool.uploadFile(path)');
  await job.done;
  expect(sizes.flat().every((n) => n < 1000)).toBe(true);
});

it('refuses, before sending, a task over the limit a coordinator said in an earlier job\'s `opened`', async () => {
  const sizes: number[][] = [];
  const { address } = await scriptedCoordinator([serveLengths(sizes, 1 << 20), serveLengths(sizes, 1 << 20)]);
  const channel = new CoordinatorChannel({ address });
  cleanups.push(() => channel.close());
  await expect(new JobStream<number>(channel, spec(), [new Uint8Array(10)]).collect()).resolves.toEqual([10]);
  expect(channel.maxTaskBytes).toBe(1 << 20);
  const job = new JobStream<number>(channel, spec(), [new Uint8Array(10), new Uint8Array(2 << 20)]);
  const err = await job.collect().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UsageError);
  expect((err as Error).message).toMatch(new RegExp(`^task 1 of job \\S+ \\(item 1\\) encodes to 2 MiB, more than the 1 MiB coordinator ${address} accepts \\(its --max-task-bytes\\)`));
  await job.done;
  expect(sizes.flat().every((n) => n < 1000)).toBe(true);
});

/** Answers every input with a failure of code DROVER_TASK_TOO_LARGE, from `agent` ('' = the coordinator itself). */
function serveTooLarge(agent: string): (call: RunCall, first: pb.JobRequest) => void {
  return (call, first) => {
    const jobId = first.msg?.$case === 'open' ? first.msg.value.jobId : '';
    call.write({ msg: { $case: 'opened', value: { jobId, tasksAccepted: 0, inputEnded: false, maxTaskBytes: 0 } } });
    call.on('data', (req: pb.JobRequest) => {
      if (req.msg?.$case !== 'inputs') return;
      const results = req.msg.value.tasks.map((t, i) => ({
        seq: t.seq, rseq: i + 1, attempt: 0, agent, worker: '',
        outcome: { $case: 'failure' as const, value: { kind: 'error', name: 'TaskTooLargeError', message: 'task 0 of job j (item 0) is 99 bytes, over the limit', stack: '', itemOffset: 0, exitCode: 0, signal: '', stderrTail: '', retryable: false, code: TASK_TOO_LARGE_CODE } },
      }));
      call.write({ msg: { $case: 'results', value: { results } } });
    });
  };
}

it('turns a task the coordinator refused for its size into a UsageError, and only a refusal by the coordinator', async () => {
  const { address } = await scriptedCoordinator([serveTooLarge(''), serveTooLarge('agent-1')]);
  const channel = new CoordinatorChannel({ address });
  cleanups.push(() => channel.close());
  const refused = await new JobStream<number>(channel, spec(), [1]).collect().catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(UsageError);
  expect((refused as Error).message).toBe(`coordinator ${address} refused a task: task 0 of job j (item 0) is 99 bytes, over the limit`);
  // The same code from a task's own error (it ran on an agent) stays that task's TaskError.
  const own = await new JobStream<number>(channel, spec(), [1]).collect().catch((e: unknown) => e);
  expect(own).toBeInstanceOf(TaskError);
  expect((own as TaskError).remoteCode).toBe(TASK_TOO_LARGE_CODE);
});

it('lets the coordinator hold results in batches only for a job whose caller collects them (map), up to an eighth of its window', async () => {
  const opens: pb.OpenJob[] = [];
  const { address } = await scriptedCoordinator([
    (call, first) => {
      if (first.msg?.$case === 'open') opens.push(first.msg.value);
      serveDoubling(call, first);
    },
  ]);
  const channel = new CoordinatorChannel({ address });
  cleanups.push(() => channel.close());
  for (const s of [{ ...spec(), collect: true, window: 1024 }, { ...spec(), collect: true, window: 16 }, { ...spec(), window: 1024 }]) {
    await expect(new JobStream<number>(channel, s, [1, 2]).collect()).resolves.toEqual([2, 4]);
  }
  expect(opens.map((o) => o.resultsBatchMax)).toEqual([64, 2, 0]);
});

it('fails a job, and cancels it, when the coordinator sends a result for a task that was never sent', async () => {
  // Placed by seq, such a result would grow the reorder ring (or map's output) to its seq.
  const { address, cancels } = await scriptedCoordinator([
    (call, first) => {
      const jobId = first.msg?.$case === 'open' ? first.msg.value.jobId : '';
      call.write({ msg: { $case: 'opened', value: { jobId, tasksAccepted: 0, inputEnded: false, maxTaskBytes: 0 } } });
      call.on('data', (req: pb.JobRequest) => {
        if (req.msg?.$case !== 'inputs') return;
        const results = [{ seq: 2 ** 31, rseq: 1, attempt: 1, agent: 'a', worker: 'w', outcome: { $case: 'value' as const, value: Buffer.from(encodeValue([0])) } }];
        call.write({ msg: { $case: 'results', value: { results } } });
      });
    },
  ]);
  const channel = new CoordinatorChannel({ address });
  cleanups.push(() => channel.close());
  const drain = async (job: JobStream<number>) => {
    for await (const _ of job);
  };
  // map (placed into its output), imap (the reorder ring), imapUnordered (the ready queue).
  for (const [ordered, read] of [[true, (job: JobStream<number>) => job.collect()], [true, drain], [false, drain]] as const) {
    const job = new JobStream<number>(channel, { ...spec(), ordered }, [1, 2, 3]);
    const err = await read(job).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toBe(`job ${job.id}: the coordinator sent a result for task ${2 ** 31}, but only tasks 0–2 were sent (a coordinator fault; its log may say why). Run the job again.`);
    await job.done.catch(() => {});
    expect(cancels).toContain(job.id);
  }
});
