// Hostile bytes: garbage and truncated protobuf on every service, malformed CBOR in task payloads
// and in results, a blob whose content does not match its digest, an unknown export, a protocol
// broken in order. For each: the exact status or typed failure, and the coordinator (and agent)
// still serving an honest client.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pb, sha256Hex } from '../../src/protocol/index.ts';
import { TaskError } from '../../src/sdk/index.ts';
import { FakeAgent, unary } from '../unit/coordinator/fakes.ts';
import { HostileCluster, payloadOf } from './HostileCluster.ts';
import { RawJob } from './RawJob.ts';

let cluster: HostileCluster;

beforeAll(async () => {
  cluster = await HostileCluster.start();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const bytes = (b: Buffer): Buffer => b;

/** Sends raw `frames` on a streaming method and resolves with the call's status. */
function rawStream(method: string, frames: Buffer[]): Promise<grpc.StatusObject> {
  return new Promise((resolve) => {
    const call = cluster.raw().makeBidiStreamRequest(method, bytes, bytes);
    call.on('data', () => {});
    call.on('error', () => {});
    call.on('status', resolve);
    for (const frame of frames) call.write(frame);
  });
}

/** Sends raw bytes as a unary request and resolves with the error status. */
function rawUnary(method: string, request: Buffer): Promise<grpc.ServiceError | null> {
  return new Promise((resolve) => {
    cluster.raw().makeUnaryRequest(method, bytes, bytes, request, (error) => resolve(error));
  });
}

/** A field tag with wire type 7, which does not exist: no protobuf parser accepts it. */
const GARBAGE = Buffer.from([0x0f, 0xde, 0xad, 0xbe, 0xef]);

describe('garbage and truncated protobuf', () => {
  it('ends a Jobs.Run stream that sends garbage protobuf with INVALID_ARGUMENT naming the method', async () => {
    const status = await rawStream('/drover.v1.Jobs/Run', [GARBAGE]);
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toContain('/drover.v1.Jobs/Run: the request is not a protobuf message of the method\'s type');
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  });

  it('ends a Jobs.Run stream whose open message is truncated', async () => {
    const open = Buffer.from(pb.JobRequest.encode({ msg: { $case: 'open', value: { function: { bundleDigest: cluster.rawBundle, exportName: 'echo' }, name: 'truncated', requires: undefined, timeoutMs: 0, retries: 0, retryOnError: false, jobId: '', unschedulableWaitMs: 0, resultsBatchMax: 0 } } }).finish());
    const status = await rawStream('/drover.v1.Jobs/Run', [open.subarray(0, Math.floor(open.length / 2))]);
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  });

  it('refuses garbage on the unary Jobs.Get, Blobs.Has and Admin.Stats with INVALID_ARGUMENT', async () => {
    expect(await rawUnary('/drover.v1.Jobs/Get', GARBAGE)).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('/drover.v1.Jobs/Get') });
    expect(await rawUnary('/drover.v1.Blobs/Has', GARBAGE)).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('/drover.v1.Blobs/Has') });
    expect(await rawUnary('/drover.v1.Admin/Stats', GARBAGE)).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  });

  it('ends an Agents.Connect stream that sends garbage with INVALID_ARGUMENT; the honest agent keeps working', async () => {
    const status = await rawStream('/drover.v1.Agents/Connect', [GARBAGE]);
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  });

  it('ends a job stream whose later message is garbage; the coordinator keeps the job for a re-attach', async () => {
    const open = Buffer.from(pb.JobRequest.encode({ msg: { $case: 'open', value: { function: { bundleDigest: cluster.rawBundle, exportName: 'echo' }, name: 'then garbage', requires: undefined, timeoutMs: 0, retries: 0, retryOnError: false, jobId: 'then-garbage', unschedulableWaitMs: 0, resultsBatchMax: 0 } } }).finish());
    const status = await rawStream('/drover.v1.Jobs/Run', [open, GARBAGE]);
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((await cluster.jobInfo('then-garbage')).state).toBe('open');
    const jobs = cluster.jobs();
    await unary<pb.CancelJobRequest, pb.CancelJobResponse>(jobs.cancel.bind(jobs), { jobId: 'then-garbage' });
  });

  it('refuses a job stream whose first message is not open or attach with INVALID_ARGUMENT', async () => {
    const job = new RawJob(cluster.jobs());
    job.inputs(0, [payloadOf([1])]);
    const status = await job.finished();
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toContain('must be "open" or "attach", got "inputs"');
  });

  it('refuses Jobs.Cancel and Jobs.Get with a job id that is not one with INVALID_ARGUMENT', async () => {
    const jobs = cluster.jobs();
    await expect(unary<pb.CancelJobRequest, pb.CancelJobResponse>(jobs.cancel.bind(jobs), { jobId: 'x'.repeat(10_000) })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('CancelJobRequest.job_id') });
    await expect(unary<pb.GetJobRequest, pb.JobInfo>(jobs.get.bind(jobs), { jobId: '\u0000' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('GetJobRequest.job_id') });
  });
});

describe('malformed CBOR', () => {
  it('fails a task whose payload is not CBOR with a CodecError; the job\'s other tasks and the worker go on', async () => {
    const job = new RawJob(cluster.jobs()).open(cluster.rawBundle);
    await job.jobId();
    // An array header declaring 2^40 items, then nothing; then a payload that is a number, not an array.
    job.inputs(0, [Buffer.from([0x9b, 0, 0, 1, 0, 0, 0, 0, 0]), payloadOf([7]), Buffer.from([0x05])]).end(3);
    expect(await job.ended()).toMatchObject({ state: 'completed' });
    const outcomes = job.outcomes();
    expect(outcomes.get(0)).toMatchObject({ kind: 'internal', name: 'CodecError', code: 'DROVER_CODEC' });
    expect(outcomes.get(1)).toEqual([7]);
    expect(outcomes.get(2)).toMatchObject({ kind: 'internal', message: expect.stringContaining('a task payload must be a CBOR array') });
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  });

  it('rejects the SDK\'s map with a TaskError carrying DROVER_CODEC when an agent returns malformed CBOR', async () => {
    // A rogue agent that answers every task with bytes that are not CBOR; only labelled work goes to it.
    const rogue = new FakeAgent(cluster.agents(), 'rogue-agent', { echo: false, capacity: { labels: { rogue: 'yes' } } });
    rogue.call.on('data', (message: pb.CoordinatorMessage) => {
      if (message.msg?.$case !== 'assign') return;
      const results = message.msg.value.tasks.map((t): pb.AttemptResult => ({ attemptId: t.attemptId, outcome: { $case: 'value', value: Buffer.from([0xff, 0x00, 0x9b]) }, worker: 'w', durationMs: 1 }));
      rogue.send({ $case: 'results', value: { results, credit: 0 } });
    });
    await rogue.registered();
    rogue.send({ $case: 'credit', value: { tasks: 10 } });
    const error = await cluster.pool.map(cluster.tasks.square, [3], { requires: { labels: { rogue: 'yes' } } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskError);
    expect(error).toMatchObject({ kind: 'internal', remoteName: 'CodecError', remoteCode: 'DROVER_CODEC' });
    rogue.call.end();
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  });
});

describe('blobs and exports', () => {
  it('refuses a blob whose content does not match its digest with INVALID_ARGUMENT and stores nothing', async () => {
    const data = Buffer.from('the real content');
    const claimed = sha256Hex(Buffer.from('other content'));
    const error = await new Promise<grpc.ServiceError | null>((resolve) => {
      const call = cluster.blobs().put((e) => resolve(e));
      call.write({ digest: claimed, size: data.length, data, jobId: '', sessionId: '' });
      call.end();
    });
    expect(error).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining(`digest mismatch: the chunks announced ${claimed} but their sha256 is ${sha256Hex(data)}`) });
    const blobs = cluster.blobs();
    expect(await unary<pb.HasBlobsRequest, pb.HasBlobsResponse>(blobs.has.bind(blobs), { digests: [claimed, sha256Hex(data)], jobId: '', sessionId: '' })).toEqual({ present: [false, false] });
  });

  it('fails every task of a job naming an export the bundle does not have, naming it; nothing crashes', async () => {
    const job = new RawJob(cluster.jobs()).open(cluster.rawBundle, { function: { bundleDigest: cluster.rawBundle, exportName: 'constructor' } });
    await job.jobId();
    job.inputs(0, [payloadOf([1]), payloadOf([2])]).end(2);
    expect(await job.ended()).toMatchObject({ state: 'completed' });
    for (const outcome of job.outcomes().values()) {
      expect(outcome).toMatchObject({ kind: 'internal', message: expect.stringContaining('the task bundle has no exported function "constructor"') });
    }
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  });

  it('fails the tasks of a job whose bundle was never uploaded, without harming other jobs', async () => {
    const job = new RawJob(cluster.jobs()).open('d'.repeat(64));
    await job.jobId();
    job.inputs(0, [payloadOf([1])]).end(1);
    expect(await job.ended()).toMatchObject({ state: 'completed' });
    expect(job.outcomes().get(0)).toMatchObject({ kind: 'internal' });
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  });
});

