import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Coordinator, type CoordinatorOptions } from '../../../src/coordinator/index.ts';
import { pb, sha256Hex } from '../../../src/protocol/index.ts';
import { FakeAgent, FakeJob, sleep, unary, waitFor } from './fakes.ts';

/** A coordinator on a data directory, with clients for each service. */
interface Running {
  coordinator: Coordinator;
  agents: pb.AgentsClient;
  jobs: pb.JobsClient;
  blobs: pb.BlobsClient;
}

let dataDir: string;
const running: Running[] = [];

async function startCoordinator(options: Partial<CoordinatorOptions> = {}): Promise<Running> {
  const coordinator = new Coordinator({ listen: '127.0.0.1:0', logger: pino({ level: 'silent' }), dataDir, agentGraceMs: 100, ...options });
  await coordinator.start();
  const credentials = grpc.credentials.createInsecure();
  const r: Running = {
    coordinator,
    agents: new pb.AgentsClient(coordinator.address, credentials),
    jobs: new pb.JobsClient(coordinator.address, credentials),
    blobs: new pb.BlobsClient(coordinator.address, credentials),
  };
  running.push(r);
  return r;
}

async function stopCoordinator(r: Running): Promise<void> {
  await r.coordinator.stop();
  r.agents.close();
  r.jobs.close();
  r.blobs.close();
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'drover-coordinator-test-'));
});

afterEach(async () => {
  for (const r of running.splice(0)) await stopCoordinator(r);
  rmSync(dataDir, { recursive: true, force: true });
});

function getJob(r: Running, jobId: string): Promise<pb.JobInfo> {
  return unary<pb.GetJobRequest, pb.JobInfo>(r.jobs.get.bind(r.jobs), { jobId });
}

function seqs(results: pb.TaskResult[]): number[] {
  return results.map((x) => x.seq).sort((a, b) => a - b);
}

describe('Coordinator restart on the same data directory', () => {
  it('resumes a job: the client re-attaches and gets exactly the missing results, the rest runs on a new agent', async () => {
    const first = await startCoordinator();
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const agent = new FakeAgent(first.agents, 'agent-1', { echo: false });
    agent.send({ $case: 'credit', value: { tasks: 6 } });
    const client = new FakeJob(first.jobs);
    client.open({ retries: 2 });
    const jobId = await client.jobId();
    client.send(0, 10);
    client.end(10);
    await waitFor(() => agent.assignments().length === 6, 'six assignments');
    const assigned = agent.assignments();

    // Three results reach the client...
    agent.answer(assigned.slice(0, 3));
    await waitFor(() => client.results().length === 3, 'three results');
    expect(client.results().map((r) => r.rseq)).toEqual([1, 2, 3]);
    const lastReceived = 3;
    // ...then it goes away; two more become durable while nobody is attached.
    client.call.cancel();
    await sleep(20);
    agent.answer(assigned.slice(3, 5));
    await waitFor(() => agent.accepted().length === 5, 'five results accepted');
    expect((await getJob(first, jobId)).state).toBe('open');

    await stopCoordinator(first);
    running.splice(running.indexOf(first), 1);
    await waitFor(() => agent.status, 'agent stream ended');
    expect(agent.status?.code).toBe(grpc.status.UNAVAILABLE);

    const second = await startCoordinator();
    expect(await getJob(second, jobId)).toMatchObject({ state: 'open', tasksSubmitted: 10, tasksCompleted: 5, inputEnded: true });
    const again = new FakeJob(second.jobs);
    again.attach(jobId, lastReceived);
    expect(await again.opened()).toEqual({ jobId, tasksAccepted: 10, inputEnded: true, maxTaskBytes: 16 * 1024 * 1024 });
    await waitFor(() => again.results().length === 2, 'replayed results');
    expect(again.results().map((r) => [r.rseq, r.seq])).toEqual([[4, assigned[3].seq], [5, assigned[4].seq]]);

    // Queued tasks go to a new agent at once; the one that was running waits for the grace.
    const fresh = new FakeAgent(second.agents, 'agent-2', { echo: true });
    fresh.send({ $case: 'credit', value: { tasks: 10 } });
    expect((await again.ended()).state).toBe('completed');
    expect(fresh.assignments().map((a) => [a.seq, a.attempt]).sort((a, b) => a[0] - b[0])).toEqual([[5, 2], [6, 1], [7, 1], [8, 1], [9, 1]]);

    const all = [...client.results(), ...again.results()];
    expect(seqs(all)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(all.map((r) => r.rseq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await waitFor(() => again.status, 'stream closed');
    expect(again.status?.code).toBe(grpc.status.OK);
    expect(await getJob(second, jobId)).toMatchObject({ state: 'completed', tasksCompleted: 10, tasksFailed: 0 });
  });

  it('keeps inputs acknowledged with inputs_accepted and results not yet received across a stop', async () => {
    const first = await startCoordinator();
    const client = new FakeJob(first.jobs);
    client.open({ jobId: 'j-inputs' });
    await client.opened();
    client.send(0, 2);
    await waitFor(() => client.inputsAccepted().at(-1) === 2, 'inputs accepted (2)');
    client.send(2, 3);
    await waitFor(() => client.inputsAccepted().at(-1) === 5, 'inputs accepted (5)');
    expect(client.inputsAccepted()).toEqual([2, 5]);
    await stopCoordinator(first);
    running.splice(running.indexOf(first), 1);
    await waitFor(() => client.status, 'client stream ended');
    expect(client.status?.code).toBe(grpc.status.UNAVAILABLE);

    const second = await startCoordinator();
    const again = new FakeJob(second.jobs);
    again.attach('j-inputs', 0);
    expect(await again.opened()).toEqual({ jobId: 'j-inputs', tasksAccepted: 5, inputEnded: false, maxTaskBytes: 16 * 1024 * 1024 });
    // The client re-sends what it had in flight (seq 3, 4) with new ones: duplicates are skipped.
    again.call.write({
      msg: { $case: 'inputs', value: { tasks: [3, 4, 5, 6].map((seq) => ({ seq, payload: Buffer.from(`task-${seq}`), items: 1, firstIndex: seq })) } },
    });
    await waitFor(() => again.inputsAccepted().at(-1) === 7, 'inputs accepted (7)');
    again.end(7);
    const agent = new FakeAgent(second.agents, 'agent', { echo: true });
    agent.send({ $case: 'credit', value: { tasks: 3 } });
    expect((await again.ended()).state).toBe('completed');
    expect(seqs(again.results())).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(agent.assignments()).toHaveLength(7);
  });

  it('serves blobs stored before the restart', async () => {
    const first = await startCoordinator();
    const data = Buffer.from('export const f = () => 1;');
    const digest = sha256Hex(data);
    await new Promise<void>((resolve, reject) => {
      const call = first.blobs.put((error) => (error ? reject(error) : resolve()));
      call.write({ digest, size: data.length, data, jobId: '', sessionId: '' });
      call.end();
    });
    await stopCoordinator(first);
    running.splice(running.indexOf(first), 1);

    const second = await startCoordinator();
    expect((await unary<pb.HasBlobsRequest, pb.HasBlobsResponse>(second.blobs.has.bind(second.blobs), { digests: [digest], jobId: '', sessionId: '' })).present).toEqual([true]);
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = second.blobs.get({ digest, jobId: '', sessionId: '' });
      call.on('data', (chunk: pb.BlobChunk) => chunks.push(chunk.data));
      call.on('end', resolve);
      call.on('error', reject);
    });
    expect(Buffer.concat(chunks)).toEqual(data);
  });

  it('refuses a second coordinator on a data directory in use', async () => {
    await startCoordinator();
    const other = new Coordinator({ listen: '127.0.0.1:0', logger: pino({ level: 'silent' }), dataDir });
    await expect(other.start()).rejects.toThrow(/in use by another process/);
  });
});

describe('Attach', () => {
  it('lets a client attach to a job that kept running while detached, and deletes its rows once read', async () => {
    const r = await startCoordinator();
    const agent = new FakeAgent(r.agents, 'agent', { echo: false });
    agent.send({ $case: 'credit', value: { tasks: 3 } });
    const client = new FakeJob(r.jobs);
    client.open();
    const jobId = await client.jobId();
    client.send(0, 3);
    client.end(3);
    await waitFor(() => agent.assignments().length === 3, 'assignments');
    client.call.cancel();
    await sleep(20);
    agent.answer(agent.assignments());
    await waitFor(() => agent.accepted().length === 3, 'results accepted');
    await sleep(20);
    // Complete, with nobody attached: it waits for a client.
    expect((await getJob(r, jobId)).state).toBe('completed');

    const again = new FakeJob(r.jobs);
    again.attach(jobId, 0);
    expect((await again.ended()).state).toBe('completed');
    expect(again.results().map((x) => x.rseq)).toEqual([1, 2, 3]);
    expect(seqs(again.results())).toEqual([0, 1, 2]);
    await waitFor(() => again.status, 'status');
    expect(again.status?.code).toBe(grpc.status.OK);

    // Read and confirmed (half-close after end): a later attach gets the end without results.
    const late = new FakeJob(r.jobs);
    late.attach(jobId, 0);
    expect((await late.ended()).state).toBe('completed');
    expect(late.results()).toEqual([]);
    expect(await late.opened()).toEqual({ jobId, tasksAccepted: 3, inputEnded: true, maxTaskBytes: 16 * 1024 * 1024 });
  });

  it('forgets results the client confirmed with results_received', async () => {
    const r = await startCoordinator();
    const agent = new FakeAgent(r.agents, 'agent', { echo: true });
    agent.send({ $case: 'credit', value: { tasks: 4 } });
    const client = new FakeJob(r.jobs);
    client.open();
    const jobId = await client.jobId();
    client.send(0, 4);
    await waitFor(() => client.results().length === 4, 'results');
    client.received(3);
    await sleep(30);
    client.call.cancel();
    await sleep(20);
    const again = new FakeJob(r.jobs);
    again.attach(jobId, 0);
    await waitFor(() => again.results().length >= 1, 'replay');
    await sleep(30);
    expect(again.results().map((x) => x.rseq)).toEqual([4]);
    again.end(4);
    expect((await again.ended()).state).toBe('completed');
  });

  it('answers NOT_FOUND for an unknown job, and ABORTED to a stream another one replaced', async () => {
    const r = await startCoordinator();
    const unknown = new FakeJob(r.jobs);
    unknown.attach('j-nope', 0);
    const status = await waitFor(() => unknown.status, 'status');
    expect(status.code).toBe(grpc.status.NOT_FOUND);
    expect(status.details).toContain('no job with id "j-nope"');

    const client = new FakeJob(r.jobs);
    client.open({ jobId: 'j-twice' });
    await client.opened();
    const other = new FakeJob(r.jobs);
    other.attach('j-twice', 0);
    await other.opened();
    expect((await waitFor(() => client.status, 'replaced')).code).toBe(grpc.status.ABORTED);
    expect((await getJob(r, 'j-twice')).state).toBe('open');
  });

  it('cancels a job left without a client for the detached TTL', async () => {
    const r = await startCoordinator({ detachedJobTtlMs: 80 });
    const client = new FakeJob(r.jobs);
    client.open();
    const jobId = await client.jobId();
    client.send(0, 2);
    await sleep(200);
    expect((await getJob(r, jobId)).state).toBe('open'); // attached: no TTL
    client.call.cancel();
    const deadline = Date.now() + 5000;
    let info = await getJob(r, jobId);
    while (info.state === 'open' && Date.now() < deadline) {
      await sleep(20);
      info = await getJob(r, jobId);
    }
    expect(info).toMatchObject({ state: 'cancelled', tasksSubmitted: 2 });
  });
});

describe('Agent sessions: grace, re-registration, fencing, leases', () => {
  it('re-registration within the grace keeps the attempt: no re-dispatch', async () => {
    const r = await startCoordinator({ agentGraceMs: 1000 });
    const a = new FakeAgent(r.agents, 'agent-a', { echo: false });
    a.send({ $case: 'credit', value: { tasks: 1 } });
    const client = new FakeJob(r.jobs);
    client.open({ retries: 3 });
    await client.jobId();
    client.send(0, 2);
    client.end(2);
    await waitFor(() => a.assignments().length === 1, 'assignment');
    const attempt = a.assignments()[0];
    a.call.cancel();
    await sleep(30);

    const back = new FakeAgent(r.agents, 'agent-a', { echo: false, runningAttemptIds: [attempt.attemptId] });
    await back.registered();
    const other = new FakeAgent(r.agents, 'agent-b', { echo: true });
    other.send({ $case: 'credit', value: { tasks: 5 } });
    // Past the grace: the kept attempt is not run again anywhere.
    await sleep(1100);
    expect(other.assignments().map((t) => t.seq)).toEqual([1]);
    expect(back.cancelled()).toEqual([]);
    back.answer([attempt]);
    expect((await client.ended()).state).toBe('completed');
    expect(client.results().find((x) => x.seq === attempt.seq)).toMatchObject({ attempt: 1, agent: 'agent-a' });
    await waitFor(() => back.accepted().length === 1, 'accepted');
  });

  it('fences a late result after the grace re-queued its attempt, and acknowledges it', async () => {
    const r = await startCoordinator({ agentGraceMs: 60 });
    const a = new FakeAgent(r.agents, 'agent-a', { echo: false });
    a.send({ $case: 'credit', value: { tasks: 1 } });
    const client = new FakeJob(r.jobs);
    client.open({ retries: 1 });
    await client.jobId();
    client.send(0, 1);
    client.end(1);
    await waitFor(() => a.assignments().length === 1, 'assignment');
    const stale = a.assignments()[0];
    a.call.cancel();

    const b = new FakeAgent(r.agents, 'agent-b', { echo: false });
    b.send({ $case: 'credit', value: { tasks: 1 } });
    await waitFor(() => b.assignments().length === 1, 're-dispatch after the grace');
    expect(b.assignments()[0]).toMatchObject({ seq: 0, attempt: 2 });

    const back = new FakeAgent(r.agents, 'agent-a', { echo: false, runningAttemptIds: [stale.attemptId] });
    await waitFor(() => back.cancelled().length === 1, 'cancel of the stale attempt');
    expect(back.cancelled()).toEqual([stale.attemptId]);
    back.answer([stale]);
    await waitFor(() => back.accepted().length === 1, 'stale result acknowledged');
    expect(back.accepted()).toEqual([stale.attemptId]);
    await sleep(30);
    expect(client.results()).toEqual([]);

    b.answer(b.assignments());
    expect((await client.ended()).state).toBe('completed');
    expect(client.results()).toHaveLength(1);
    expect(client.results()[0]).toMatchObject({ seq: 0, attempt: 2, agent: 'agent-b', rseq: 1 });
  });

  it('ends a silent session when its lease expires, and keeps one that heartbeats', async () => {
    const r = await startCoordinator({ leaseMs: 450 });
    const silent = new FakeAgent(r.agents, 'silent', { echo: false });
    const alive = new FakeAgent(r.agents, 'alive', { echo: false });
    expect((await silent.registered()).heartbeatMs).toBe(150);
    const beat = setInterval(() => alive.send({ $case: 'heartbeat', value: { running: 0, queued: 0 } }), 40);
    try {
      const status = await waitFor(() => silent.status, 'lease expiry');
      expect(status.code).toBe(grpc.status.UNAVAILABLE);
      expect(status.details).toMatch(/lease expired: agent "silent"/);
      await sleep(100);
      expect(alive.status).toBeUndefined();
    } finally {
      clearInterval(beat);
    }
  });
});
