// Hostile inputs, sizes and ranges: oversized messages, payloads, chunks, results and blobs; absurd
// timeout/retries/wait/cpus values; hostile names; absurd agent capacity. For each: the exact status
// (naming the limit's flag), and the coordinator still serving an honest client.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pb, sha256Hex } from '../../src/protocol/index.ts';
import { capacity, unary, waitFor } from '../unit/coordinator/fakes.ts';
import { HostileCluster, payloadOf } from './HostileCluster.ts';
import { RawJob } from './RawJob.ts';

const KiB = 1024;
let cluster: HostileCluster;

beforeAll(async () => {
  cluster = await HostileCluster.start({
    limits: {
      maxMessageBytes: 1024 * KiB,
      maxTaskBytes: 64 * KiB,
      maxResultBytes: 64 * KiB,
      maxBlobChunkBytes: 64 * KiB,
      maxBlobBytes: 512 * KiB,
      maxItemsPerTask: 100,
      maxItemsPerJob: 1000,
      maxTimeoutMs: 60_000,
      maxRetries: 5,
      maxUnschedulableWaitMs: 60_000,
      maxHasDigests: 10,
      maxAgentSlots: 64,
      maxLabels: 4,
      maxNameLength: 64,
    },
  });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Opens a raw job with `open` overrides and resolves with the status the stream ends with. */
async function openStatus(overrides: Partial<pb.OpenJob>): Promise<grpc.StatusObject> {
  const job = new RawJob(cluster.jobs()).open(cluster.rawBundle, overrides);
  return job.finished();
}

describe('message and payload sizes', () => {
  it('refuses a gRPC message over --max-message-bytes with RESOURCE_EXHAUSTED', async () => {
    const job = new RawJob(cluster.jobs()).open(cluster.rawBundle);
    await job.jobId();
    job.inputs(0, [Buffer.alloc(2048 * KiB)]);
    const status = await job.finished();
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  });

  it('fails a task whose payload is over --max-task-bytes with a typed error, never running it; its job goes on', async () => {
    const job = new RawJob(cluster.jobs()).open(cluster.rawBundle);
    await job.jobId();
    job.inputs(0, [payloadOf(['x'.repeat(100 * KiB)]), payloadOf([3])]).end(2);
    expect(await job.ended()).toMatchObject({ state: 'completed' });
    const outcomes = job.outcomes();
    expect(outcomes.get(0)).toMatchObject({
      kind: 'error', name: 'TaskTooLargeError', code: 'DROVER_TASK_TOO_LARGE',
      message: expect.stringMatching(/is \d+ bytes, over the limit of 65536 bytes a task may be on this coordinator \(set with drover coordinator --max-task-bytes\)/),
    });
    expect(outcomes.get(1)).toEqual([3]);
    expect((await job.finished()).code).toBe(grpc.status.OK);
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  });

  it('refuses a chunk over --max-items-per-task with INVALID_ARGUMENT', async () => {
    const job = new RawJob(cluster.jobs()).open(cluster.rawBundle);
    await job.jobId();
    job.inputs(0, [payloadOf(...Array.from({ length: 101 }, (_, i) => [i]))], 101);
    const status = await job.finished();
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toContain('items is 101 items (chunksize), over the limit of 100 items (chunksize) (set with drover coordinator --max-items-per-task)');
  });

  it('refuses items past --max-items-per-job with RESOURCE_EXHAUSTED', async () => {
    const job = new RawJob(cluster.jobs()).open(cluster.rawBundle, { name: 'too many items' });
    await job.jobId();
    const chunk = payloadOf(...Array.from({ length: 100 }, (_, i) => [i]));
    job.inputs(0, Array.from({ length: 11 }, () => chunk), 100);
    const status = await job.finished();
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(status.details).toContain('item count is 1100 items, over the limit of 1000 items (set with drover coordinator --max-items-per-job)');
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  });

  it('fails a task whose result is over --max-result-bytes with a typed error; its job and the agent go on', async () => {
    const job = new RawJob(cluster.jobs()).open(cluster.rawBundle, { function: { bundleDigest: cluster.rawBundle, exportName: 'big' } });
    await job.jobId();
    job.inputs(0, [payloadOf([100 * KiB]), payloadOf([10])]).end(2);
    expect(await job.ended()).toMatchObject({ state: 'completed' });
    const outcomes = job.outcomes();
    expect(outcomes.get(0)).toMatchObject({ kind: 'error', name: 'ResultTooLargeError', code: 'DROVER_RESULT_TOO_LARGE', message: expect.stringContaining('--max-result-bytes') });
    expect(outcomes.get(1)).toEqual(['x'.repeat(10)]);
    expect((await job.finished()).code).toBe(grpc.status.OK);
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  });
});

describe('a result too big for any message', () => {
  it('fails its task at the agent with a typed error instead of breaking the agent\'s stream', async () => {
    const job = new RawJob(cluster.jobs()).open(cluster.rawBundle, { function: { bundleDigest: cluster.rawBundle, exportName: 'big' } });
    await job.jobId();
    job.inputs(0, [payloadOf([40 * 1024 * KiB]), payloadOf([3])]).end(2);
    expect(await job.ended(60_000)).toMatchObject({ state: 'completed' });
    expect(job.outcomes().get(0)).toMatchObject({ kind: 'error', code: 'DROVER_RESULT_TOO_LARGE', message: expect.stringContaining('bytes a result can be on the wire') });
    expect(job.outcomes().get(1)).toEqual(['xxx']);
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  }, 60_000);
});

describe('absurd job options', () => {
  it.each([
    ['timeout_ms', { timeoutMs: 2 ** 32 - 1 }, 'OpenJob.timeout_ms is 4294967295 ms, over the limit of 60000 ms (set with drover coordinator --max-timeout-ms)'],
    ['retries', { retries: 1_000_000_000 }, 'OpenJob.retries is 1000000000, over the limit of 5 (set with drover coordinator --max-retries)'],
    ['unschedulable_wait_ms', { unschedulableWaitMs: 2 ** 31 }, '--max-unschedulable-wait-ms'],
    ['requires.cpus', { requires: { cpus: 100_000, memoryMb: 0, sumo: '', labels: {}, resources: {} } }, 'OpenJob.requires.cpus is 100000, over the limit of 64 (set with drover coordinator --max-agent-slots)'],
    ['requires.labels', { requires: { cpus: 0, memoryMb: 0, sumo: '', labels: { a: '1', b: '2', c: '3', d: '4', e: '5' }, resources: {} } }, '--max-labels'],
  ] as const)('refuses an absurd %s with INVALID_ARGUMENT naming the flag', async (_field, overrides, message) => {
    const status = await openStatus(overrides as Partial<pb.OpenJob>);
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toContain(message);
  });

  it.each([
    ['a NUL byte in the job name', { name: 'job\u0000name' }, 'OpenJob.name contains a control character'],
    ['an export name over --max-name-length', { function: { bundleDigest: 'a'.repeat(64), exportName: 'f'.repeat(65) } }, '--max-name-length'],
    ['a label key that looks like a path', { requires: { cpus: 0, memoryMb: 0, sumo: '', labels: { '../../etc': 'x' }, resources: {} } }, 'key must be letters, digits and ._/-'],
    ['a job id that looks like a path', { jobId: '../../etc/passwd' }, 'OpenJob.job_id must be 1 to 128 characters'],
  ] as const)('refuses %s with INVALID_ARGUMENT', async (_what, overrides, message) => {
    const status = await openStatus(overrides as Partial<pb.OpenJob>);
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toContain(message);
  });

  it('refuses absurd chunksize and window values in the SDK before anything is sent', async () => {
    await expect(cluster.pool.map(cluster.tasks.square, [1], { chunksize: 0 })).rejects.toMatchObject({ code: 'DROVER_USAGE' });
    await expect(cluster.pool.map(cluster.tasks.square, [1], { window: -1 })).rejects.toMatchObject({ code: 'DROVER_USAGE' });
    await expect(cluster.pool.map(cluster.tasks.square, [1], { chunksize: Number.POSITIVE_INFINITY })).rejects.toMatchObject({ code: 'DROVER_USAGE' });
    // A huge chunksize over few items is just one chunk: fine.
    expect(await cluster.pool.map(cluster.tasks.square, [1, 2], { chunksize: 1e9 })).toEqual([1, 4]);
  });
});

describe('blobs', () => {
  const put = (chunks: pb.PutBlobChunk[]): Promise<pb.PutBlobResponse> =>
    new Promise((resolve, reject) => {
      const call = cluster.blobs().put((error, response) => (error ? reject(error) : resolve(response!)));
      for (const chunk of chunks) call.write(chunk);
      call.end();
    });

  it('refuses a blob chunk over --max-blob-chunk-bytes and a blob over --max-blob-bytes with RESOURCE_EXHAUSTED', async () => {
    const data = Buffer.alloc(100 * KiB, 7);
    await expect(put([{ digest: sha256Hex(data), size: data.length, data, jobId: '', sessionId: '' }])).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: expect.stringContaining('--max-blob-chunk-bytes') });
    await expect(put([{ digest: 'c'.repeat(64), size: 1024 * KiB, data: Buffer.alloc(0), jobId: '', sessionId: '' }])).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: expect.stringContaining('--max-blob-bytes') });
  });

  it('refuses Has with too many digests and Get/Has with a digest that is a path', async () => {
    const blobs = cluster.blobs();
    await expect(unary<pb.HasBlobsRequest, pb.HasBlobsResponse>(blobs.has.bind(blobs), { digests: Array.from({ length: 11 }, () => 'a'.repeat(64)), jobId: '', sessionId: '' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('--max-has-digests') });
    await expect(unary<pb.HasBlobsRequest, pb.HasBlobsResponse>(blobs.has.bind(blobs), { digests: ['../../../etc/passwd'], jobId: '', sessionId: '' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      const call = blobs.get({ digest: '../../../etc/passwd', jobId: '', sessionId: '' });
      call.on('data', () => {});
      call.on('error', () => {});
      call.on('status', resolve);
    });
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toContain('GetBlobRequest.digest must be a lowercase hex sha256');
  });
});

describe('agent registration', () => {
  const register = async (overrides: Partial<pb.Capacity>, name = 'rogue'): Promise<grpc.StatusObject> => {
    const call = cluster.agents().connect();
    let status: grpc.StatusObject | undefined;
    call.on('data', () => {});
    call.on('error', () => {});
    call.on('status', (s) => (status = s));
    call.write({ msg: { $case: 'register', value: { name, capacity: { ...capacity(), ...overrides }, version: 'x', runningAttemptIds: [], acksWithAssign: false } } });
    return waitFor(() => status, 'status');
  };

  it.each([
    ['slots', { slots: 2 ** 32 - 1 }, 'Register.capacity.slots is 4294967295, over the limit of 64 (set with drover coordinator --max-agent-slots)'],
    ['cpus (NaN)', { cpus: Number.NaN }, 'Register.capacity.cpus must be a finite number'],
    ['labels', { labels: Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`l${i}`, 'v'])) }, '--max-labels'],
  ] as const)('refuses an agent announcing absurd %s with INVALID_ARGUMENT; it gets no work', async (_what, overrides, message) => {
    const status = await register(overrides as Partial<pb.Capacity>);
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toContain(message);
    const admin = new pb.AdminClient(cluster.address, grpc.credentials.createInsecure());
    const agents = await unary<pb.ListAgentsRequest, pb.ListAgentsResponse>(admin.listAgents.bind(admin), {});
    admin.close();
    expect(agents.agents.map((a) => a.name)).toEqual(['honest-agent']);
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  });
});
