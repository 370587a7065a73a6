// Per-principal quotas: one principal opening a flood of tiny jobs hits --max-open-jobs-per-principal
// quickly (RESOURCE_EXHAUSTED) while others keep being served; one queuing too many tasks hits
// --max-queued-tasks-per-principal. Nothing of anyone else's is lost, and the quota frees up as
// the principal's jobs end.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { pb } from '../../src/protocol/index.ts';
import { unary } from '../unit/coordinator/fakes.ts';
import { HostileCluster, payloadOf } from './HostileCluster.ts';
import { RawJob } from './RawJob.ts';

const MAX_OPEN = 50;
const MAX_QUEUED = 200;
let cluster: HostileCluster;

beforeAll(async () => {
  cluster = await HostileCluster.start({ limits: { maxOpenJobsPerPrincipal: MAX_OPEN, maxQueuedTasksPerPrincipal: MAX_QUEUED } });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Opens a job as `principal`; resolves with its id, or with the status that refused it. */
async function tryOpen(principal: string, overrides: Partial<pb.OpenJob> = {}): Promise<{ job: RawJob; jobId?: string; status?: grpc.StatusObject }> {
  const job = new RawJob(cluster.jobs(principal)).open(cluster.rawBundle, overrides);
  const outcome = await Promise.race([job.jobId().then((jobId) => ({ jobId })), job.finished().then((status) => ({ status }))]);
  return { job, ...outcome };
}

async function cancel(principal: string, jobId: string): Promise<void> {
  const jobs = cluster.jobs(principal);
  await unary<pb.CancelJobRequest, pb.CancelJobResponse>(jobs.cancel.bind(jobs), { jobId });
}

describe('per-principal quotas', () => {
  it('stops a flood of tiny jobs from one principal at --max-open-jobs-per-principal while others are served', async () => {
    // An honest job running throughout: none of its results may be lost.
    const honest = cluster.pool.map(cluster.tasks.slowDouble, Array.from({ length: 40 }, (_, i) => i), { chunksize: 1 });

    // Up to a million opens; the quota stops the flood at once.
    const opened: string[] = [];
    let refused: grpc.StatusObject | undefined;
    for (let i = 0; i < 1_000_000 && refused === undefined; i++) {
      const { jobId, status } = await tryOpen('mallory', { name: `tiny-${i}` });
      if (jobId !== undefined) opened.push(jobId);
      else refused = status;
    }
    expect(opened.length).toBe(MAX_OPEN);
    expect(refused).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: expect.stringContaining(`over the limit of ${MAX_OPEN} open jobs (set with drover coordinator --max-open-jobs-per-principal)`) });

    // A burst of further opens is refused alike; another principal opens and runs jobs meanwhile.
    const burst = await Promise.all(Array.from({ length: 200 }, () => tryOpen('mallory')));
    expect(burst.every((b) => b.status?.code === grpc.status.RESOURCE_EXHAUSTED)).toBe(true);
    const alice = await tryOpen('alice');
    expect(alice.jobId).toBeDefined();
    alice.job.inputs(0, [payloadOf([5])]).end(1);
    expect(await alice.job.ended()).toMatchObject({ state: 'completed' });
    expect(alice.job.outcomes().get(0)).toEqual([5]);
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
    expect(await honest).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));

    // As mallory's jobs end, the quota frees up.
    await cancel('mallory', opened[0]);
    const again = await tryOpen('mallory');
    expect(again.jobId).toBeDefined();
    for (const jobId of [...opened.slice(1), again.jobId!]) await cancel('mallory', jobId);
  }, 120_000);

  it('refuses tasks past --max-queued-tasks-per-principal with RESOURCE_EXHAUSTED, counting across jobs', async () => {
    // Tasks that no agent can run wait (queued), counting against the quota.
    const stuck = { requires: { cpus: 0, memoryMb: 0, sumo: '', labels: { zone: 'nowhere' }, resources: {} }, unschedulableWaitMs: 600_000 };
    const first = await tryOpen('mallory', stuck);
    first.job.inputs(0, Array.from({ length: 150 }, (_, i) => payloadOf([i])));
    const second = await tryOpen('mallory', stuck);
    second.job.inputs(0, Array.from({ length: 100 }, (_, i) => payloadOf([i])));
    const status = await second.job.finished();
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(status.details).toContain(`principal "mallory": tasks queued or running (150) plus this batch (100) is 250 tasks, over the limit of ${MAX_QUEUED} tasks (set with drover coordinator --max-queued-tasks-per-principal)`);
    expect((await cluster.jobInfo(second.jobId!)).state).toBe('cancelled');

    // The first job is intact, and another principal queues freely.
    expect(await cluster.jobInfo(first.jobId!)).toMatchObject({ state: 'open', tasksSubmitted: 150 });
    const bob = await tryOpen('bob');
    bob.job.inputs(0, Array.from({ length: 150 }, (_, i) => payloadOf([i]))).end(150);
    expect(await bob.job.ended()).toMatchObject({ state: 'completed' });
    expect(bob.job.outcomes().size).toBe(150);

    // Once mallory's queued job ends, it may queue again.
    await cancel('mallory', first.jobId!);
    const third = await tryOpen('mallory');
    third.job.inputs(0, Array.from({ length: 150 }, (_, i) => payloadOf([i]))).end(150);
    expect(await third.job.ended()).toMatchObject({ state: 'completed' });
  }, 120_000);
});
