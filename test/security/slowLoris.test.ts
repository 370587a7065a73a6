// Slow-loris: streams that open and never say anything are closed after --stream-open-timeout-ms;
// a client that never reads its results pauses its own job's dispatch at --max-unread-results
// (the coordinator does not buffer without bound) and stalls no one else; once it reads, its job
// completes with every result.
import * as grpc from '@grpc/grpc-js';
import { sha256Hex, type pb } from '../../src/protocol/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostileCluster, payloadOf } from './HostileCluster.ts';
import { RawJob } from './RawJob.ts';

const OPEN_TIMEOUT_MS = 500;
const MAX_UNREAD = 1000;
const KiB = 1024;
let cluster: HostileCluster;

beforeAll(async () => {
  cluster = await HostileCluster.start({ limits: { streamOpenTimeoutMs: OPEN_TIMEOUT_MS, maxUnreadResults: MAX_UNREAD, maxBlobBytes: 1024 * KiB, maxUploadingBytes: 1024 * KiB, maxBlobChunkBytes: 64 * KiB } });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

function statusOf(call: NodeJS.EventEmitter): Promise<grpc.StatusObject> {
  return new Promise((resolve) => {
    call.on('error', () => {});
    call.on('status', resolve);
    call.on('data', () => {});
  });
}

/** Polls an async probe until it yields a value. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('streams that never speak', () => {
  it('closes silent Jobs.Run, Agents.Connect and Blobs.Put streams with DEADLINE_EXCEEDED while serving others', async () => {
    const run = cluster.jobs().run();
    const connect = cluster.agents().connect();
    const put = cluster.blobs().put(() => {});
    const statuses = Promise.all([statusOf(run), statusOf(connect), statusOf(put)]);
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
    const [runStatus, connectStatus, putStatus] = await statuses;
    expect(runStatus).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED, details: expect.stringContaining('sent no "open" or "attach" within 500 ms (set with drover coordinator --stream-open-timeout-ms)') });
    expect(connectStatus).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED, details: expect.stringContaining('sent no "register" within 500 ms') });
    expect(putStatus).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED, details: expect.stringContaining('Put: no chunk within 500 ms') });
  });

  it('leaves a stream that opened its job alone however long it then waits', async () => {
    const job = new RawJob(cluster.jobs()).open(cluster.rawBundle);
    await job.jobId();
    await new Promise((resolve) => setTimeout(resolve, OPEN_TIMEOUT_MS * 2));
    expect(job.status).toBeUndefined();
    job.inputs(0, [payloadOf([42])]).end(1);
    expect(await job.ended()).toMatchObject({ state: 'completed' });
    expect(job.outcomes().get(0)).toEqual([42]);
  });
});

describe('an upload that stalls', () => {
  /** Streams `chunks` to Blobs.Put; resolves with the call's status (half-closed only with `end`). */
  const put = (chunks: pb.PutBlobChunk[], end: boolean): Promise<grpc.StatusObject> =>
    new Promise((resolve) => {
      const call = cluster.blobs().put(() => {});
      call.on('status', resolve);
      for (const chunk of chunks) call.write(chunk);
      if (end) call.end();
    });

  it('makes others wait their turn within --max-uploading-bytes (refusing past it), and is closed once it pauses past the timeout', async () => {
    const chunksOf = (data: Buffer): pb.PutBlobChunk[] =>
      Array.from({ length: Math.ceil(data.length / (64 * KiB)) }, (_, i) => ({ digest: i === 0 ? sha256Hex(data) : '', size: i === 0 ? data.length : 0, data: data.subarray(i * 64 * KiB, (i + 1) * 64 * KiB), jobId: '', sessionId: '' }));
    // A announces 800 KiB, sends 64 KiB, then nothing: its 800 KiB stay reserved meanwhile.
    const a = Buffer.alloc(800 * KiB, 1);
    const stalled = put(chunksOf(a).slice(0, 1), false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // B does not fit beside A: it waits (the one waiter the budget allows); C is refused.
    const b = Buffer.alloc(500 * KiB, 2);
    const waiting = put(chunksOf(b), true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const c = Buffer.alloc(300 * KiB, 3);
    const refused = await put(chunksOf(c), true);
    expect(refused).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: expect.stringContaining('(set with drover coordinator --max-uploading-bytes); retry when other uploads have finished') });
    // A is closed for stalling; its room goes to B, which completes.
    expect(await stalled).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED, details: expect.stringContaining('no further chunk of blob') });
    expect((await waiting).code).toBe(grpc.status.OK);
    expect((await put(chunksOf(c), true)).code).toBe(grpc.status.OK);
    const blobs = cluster.blobs();
    const present = await new Promise<boolean[]>((resolve, reject) => blobs.has({ digests: [sha256Hex(a), sha256Hex(b), sha256Hex(c)], jobId: '', sessionId: '' }, (e, r) => (e ? reject(e) : resolve(r!.present))));
    expect(present).toEqual([false, true, true]);
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  });

  it('closes an upload that stalls after it waited for room and was admitted', async () => {
    const first = (data: Buffer): pb.PutBlobChunk => ({ digest: sha256Hex(data), size: data.length, data: data.subarray(0, 64 * KiB), jobId: '', sessionId: '' });
    // A stalls holding 800 KiB; B (500 KiB) waits for room, then stalls too once A is closed and B admitted.
    const a = Buffer.alloc(800 * KiB, 4);
    const stalledFirst = put([first(a)], false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const b = Buffer.alloc(500 * KiB, 5);
    const stalledAfterWaiting = put([first(b)], false);
    expect(await stalledFirst).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    // B's idle timeout starts again when it is admitted: it does not hold its 500 KiB for ever.
    expect(await stalledAfterWaiting).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED, details: expect.stringContaining(`no further chunk of blob ${sha256Hex(b)}`) });
    // And the room is free again: a 900 KiB upload fits.
    const c = Buffer.alloc(900 * KiB, 6);
    const chunks = Array.from({ length: Math.ceil(c.length / (64 * KiB)) }, (_, i) => ({ ...first(c), digest: i === 0 ? sha256Hex(c) : '', size: i === 0 ? c.length : 0, data: c.subarray(i * 64 * KiB, (i + 1) * 64 * KiB) }));
    expect((await put(chunks, true)).code).toBe(grpc.status.OK);
  }, 20_000);
});

describe('a client that never reads its results', () => {
  it('pauses only its own job at --max-unread-results, then delivers every result once it reads', async () => {
    const total = 3000;
    const jobId = 'slow-reader';
    const job = new RawJob(cluster.jobs('slow'), { read: false }).open(cluster.rawBundle, { jobId });
    for (let from = 0; from < total; from += 500) job.inputs(from, Array.from({ length: 500 }, (_, i) => payloadOf([from + i])));
    job.end(total);

    // Its dispatch stops: nothing left running, and far fewer results than tasks.
    const paused = await eventually(async () => {
      const info = await cluster.jobInfo(jobId);
      return info.tasksSubmitted === total && info.tasksCompleted >= MAX_UNREAD && info.tasksRunning === 0 ? info : undefined;
    }, 'the job to pause', 30_000);
    expect(paused.state).toBe('open');
    expect(paused.tasksCompleted).toBeLessThan(total);

    // Meanwhile others are served.
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
    expect((await cluster.jobInfo(jobId)).tasksCompleted).toBe(paused.tasksCompleted);

    // Reading (and confirming) resumes it: every result arrives, once.
    job.startReading({ confirm: true });
    expect(await job.ended(60_000)).toMatchObject({ state: 'completed' });
    const outcomes = job.outcomes();
    expect(outcomes.size).toBe(total);
    for (let seq = 0; seq < total; seq++) expect(outcomes.get(seq)).toEqual([seq]);
    expect(job.results().length).toBe(total);
  }, 120_000);
});
