import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../../../src/coordinator/index.ts';
import { pb } from '../../../src/protocol/index.ts';
import { FakeAgent, FakeJob, unary, waitFor } from './fakes.ts';

let coordinator: Coordinator;
let agents: pb.AgentsClient;
let jobs: pb.JobsClient;
let admin: pb.AdminClient;

beforeEach(async () => {
  coordinator = new Coordinator({ listen: '127.0.0.1:0', logger: pino({ level: 'silent' }), agentGraceMs: 100 });
  await coordinator.start();
  const credentials = grpc.credentials.createInsecure();
  agents = new pb.AgentsClient(coordinator.address, credentials);
  jobs = new pb.JobsClient(coordinator.address, credentials);
  admin = new pb.AdminClient(coordinator.address, credentials);
});

afterEach(async () => {
  await coordinator.stop();
  agents.close();
  jobs.close();
  admin.close();
});

describe('Coordinator over a real socket', () => {
  it('binds an ephemeral port and reports it', () => {
    expect(coordinator.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(coordinator.address).not.toBe('127.0.0.1:0');
  });

  it('runs a job from a client through an agent and back, then ends the stream', async () => {
    const agent = new FakeAgent(agents, 'fake-agent', { echo: true });
    await waitFor(() => agent.messages[0]?.msg?.$case === 'registered', 'registered');
    agent.send({ $case: 'credit', value: { tasks: 4 } });

    const job = new FakeJob(jobs);
    job.open({ name: 'echo job' });
    const jobId = await job.jobId();
    expect(jobId).toMatch(/^j-/);
    job.send(0, 3);
    job.send(3, 4);
    job.end(7);

    expect(await job.ended()).toEqual({ state: 'completed', message: '' });
    const results = job.results();
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (const result of results) {
      expect(result.outcome).toEqual({ $case: 'value', value: Buffer.from(`task-${result.seq}`) });
      expect(result).toMatchObject({ attempt: 1, agent: 'fake-agent', worker: 'w1' });
    }
    await waitFor(() => job.status, 'job status');
    expect(job.status?.code).toBe(grpc.status.OK);

    const info = await unary<pb.GetJobRequest, pb.JobInfo>(jobs.get.bind(jobs), { jobId });
    expect(info).toMatchObject({ jobId, name: 'echo job', state: 'completed', tasksSubmitted: 7, tasksCompleted: 7, tasksFailed: 0, inputEnded: true });
    const listed = await unary<pb.ListJobsRequest, pb.ListJobsResponse>(jobs.list.bind(jobs), {});
    expect(listed.jobs.map((j) => j.jobId)).toEqual([jobId]);

    const agentList = await unary<pb.ListAgentsRequest, pb.ListAgentsResponse>(admin.listAgents.bind(admin), {});
    expect(agentList.agents).toHaveLength(1);
    expect(agentList.agents[0]).toMatchObject({ name: 'fake-agent', running: 0, draining: false });
    expect(agentList.agents[0].capacity?.slots).toBe(2);
    const stats = await unary<pb.StatsRequest, pb.StatsResponse>(admin.stats.bind(admin), {});
    expect(stats).toMatchObject({ agents: 1, slots: 2, tasksCompleted: 7, tasksQueued: 0, tasksRunning: 0, jobsOpen: 0 });
  });

  it('uses a client-chosen job id and refuses a duplicate with ALREADY_EXISTS', async () => {
    const first = new FakeJob(jobs);
    first.open({ jobId: 'j-Ab_9-x' });
    expect(await first.jobId()).toBe('j-Ab_9-x');
    const second = new FakeJob(jobs);
    second.open({ jobId: 'j-Ab_9-x' });
    const status = await waitFor(() => second.status, 'duplicate refused');
    expect(status.code).toBe(grpc.status.ALREADY_EXISTS);
    first.call.cancel();
  });

  it('fails a stream whose first message is not open with INVALID_ARGUMENT', async () => {
    const job = new FakeJob(jobs);
    job.send(0, 1);
    job.open();
    const status = await waitFor(() => job.status, 'status');
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toMatch(/first message .* must be "open" or "attach"/);
    // The "open" that followed on the failed stream opened nothing.
    expect(job.responses).toHaveLength(0);
    const listed = await unary<pb.ListJobsRequest, pb.ListJobsResponse>(jobs.list.bind(jobs), {});
    expect(listed.jobs).toHaveLength(0);
  });

  it('refuses malformed jobs and inputs with INVALID_ARGUMENT', async () => {
    const badDigest = new FakeJob(jobs);
    badDigest.open({ function: { bundleDigest: 'nope', exportName: 'f' } });
    expect((await waitFor(() => badDigest.status, 'status')).details).toContain('bundle_digest');

    const badRange = new FakeJob(jobs);
    badRange.open({ requires: { cpus: 0, memoryMb: 0, sumo: '>=banana', labels: {}, resources: {} } });
    expect((await waitFor(() => badRange.status, 'status')).details).toContain('requires.sumo');

    const gap = new FakeJob(jobs);
    gap.open();
    const gapId = await gap.jobId();
    gap.send(0, 2);
    gap.send(3, 1);
    const gapStatus = await waitFor(() => gap.status, 'status');
    expect(gapStatus.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(gapStatus.details).toContain('seq 3 out of order, expected 2');
    expect((await unary<pb.GetJobRequest, pb.JobInfo>(jobs.get.bind(jobs), { jobId: gapId })).state).toBe('cancelled');

    const miscount = new FakeJob(jobs);
    miscount.open();
    await miscount.jobId();
    miscount.send(0, 2);
    miscount.end(5);
    const miscountStatus = await waitFor(() => miscount.status, 'status');
    expect(miscountStatus.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(miscountStatus.details).toContain('InputEnd says 5 tasks but 2 were sent');
  });

  it('fails an agent stream whose first message is not register', async () => {
    const call = agents.connect();
    let status: grpc.StatusObject | undefined;
    call.on('status', (s) => (status = s));
    call.on('error', () => {});
    call.write({ msg: { $case: 'credit', value: { tasks: 1 } } });
    await waitFor(() => status, 'status');
    expect(status?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status?.details).toContain('"register"');
  });

  it('cancels a job with Jobs.Cancel: end{cancelled} to the client, CancelAttempts to the agent', async () => {
    const agent = new FakeAgent(agents, 'holder', { echo: false });
    agent.send({ $case: 'credit', value: { tasks: 2 } });
    const job = new FakeJob(jobs);
    job.open();
    const jobId = await job.jobId();
    job.send(0, 3);
    await waitFor(() => agent.assignments().length === 2, 'two assignments');
    const running = agent.assignments().map((a) => a.attemptId);

    const response = await unary<pb.CancelJobRequest, pb.CancelJobResponse>(jobs.cancel.bind(jobs), { jobId });
    expect(response.cancelled).toBe(true);
    expect((await job.ended()).state).toBe('cancelled');
    await waitFor(() => agent.cancelled().length === 2, 'cancel attempts');
    expect(agent.cancelled().sort()).toEqual(running.sort());
    expect((await unary<pb.GetJobRequest, pb.JobInfo>(jobs.get.bind(jobs), { jobId })).state).toBe('cancelled');

    // A late result for a cancelled attempt is fenced off, and the third task never runs.
    agent.send({ $case: 'results', value: { results: [{ attemptId: running[0], outcome: { $case: 'value', value: Buffer.from('late') }, worker: 'w1', durationMs: 1 }], credit: 0 } });
    agent.send({ $case: 'credit', value: { tasks: 5 } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(agent.assignments()).toHaveLength(2);
    expect(job.results()).toHaveLength(0);

    await expect(unary(jobs.cancel.bind(jobs), { jobId: 'j-nope' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('keeps the job running when the client cancels its stream (only Jobs.Cancel cancels)', async () => {
    const agent = new FakeAgent(agents, 'holder', { echo: false });
    agent.send({ $case: 'credit', value: { tasks: 1 } });
    const job = new FakeJob(jobs);
    job.open();
    const jobId = await job.jobId();
    job.send(0, 1);
    job.end(1);
    await waitFor(() => agent.assignments().length === 1, 'assignment');
    job.call.cancel();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(agent.cancelled()).toEqual([]);
    expect((await unary<pb.GetJobRequest, pb.JobInfo>(jobs.get.bind(jobs), { jobId })).state).toBe('open');
  });

  it('re-queues the attempts of an agent whose stream breaks onto another agent', async () => {
    const first = new FakeAgent(agents, 'first', { echo: false });
    first.send({ $case: 'credit', value: { tasks: 1 } });
    const job = new FakeJob(jobs);
    job.open({ retries: 1 });
    await job.jobId();
    job.send(0, 1);
    job.end(1);
    await waitFor(() => first.assignments().length === 1, 'first assignment');
    first.call.cancel();

    const second = new FakeAgent(agents, 'second', { echo: true });
    second.send({ $case: 'credit', value: { tasks: 1 } });
    expect((await job.ended()).state).toBe('completed');
    expect(second.assignments()[0]).toMatchObject({ seq: 0, attempt: 2 });
    expect(job.results()).toEqual([{ seq: 0, outcome: { $case: 'value', value: Buffer.from('task-0') }, attempt: 2, agent: 'second', worker: 'w1', rseq: 1 }]);
  });

  it('lists agents with every capacity field they announced (SUMO tools, traci, libsumo, labels, resources)', async () => {
    const announced = { sumoVersion: '1.15.0', sumoHome: '/usr/share/sumo', sumoTools: true, sumoTraci: true, sumoLibsumo: false, labels: { zone: 'eu' }, resources: { licence: 2 } };
    const agent = new FakeAgent(agents, 'sumo-agent', { echo: false, capacity: announced });
    await agent.registered();
    const listed = await unary<pb.ListAgentsRequest, pb.ListAgentsResponse>(admin.listAgents.bind(admin), {});
    expect(listed.agents.map((a) => a.name)).toEqual(['sumo-agent']);
    expect(listed.agents[0].capacity).toEqual({ cpus: 2, memoryMb: 1024, slots: 2, hostname: 'h', platform: 'linux', nodeVersion: 'v24', ...announced });
  });

  it('fails unschedulable tasks over the wire after the wait the client asked for', async () => {
    const agent = new FakeAgent(agents, 'plain', { echo: true });
    await agent.registered();
    agent.send({ $case: 'credit', value: { tasks: 4 } });
    const job = new FakeJob(jobs);
    const started = Date.now();
    job.open({ requires: { cpus: 0, memoryMb: 0, sumo: '>=99', labels: {}, resources: {} }, unschedulableWaitMs: 200 });
    await job.jobId();
    job.send(0, 2);
    job.end(2);
    expect((await job.ended()).state).toBe('completed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    const results = job.results();
    expect(results.map((r) => [r.seq, r.rseq])).toEqual([[0, 1], [1, 2]]);
    for (const r of results) {
      expect(r.outcome?.$case).toBe('failure');
      if (r.outcome?.$case !== 'failure') continue;
      expect(r.outcome.value).toMatchObject({ kind: 'unschedulable', name: 'UnschedulableError' });
      expect(r.outcome.value.message).toBe('no connected agent satisfies requires {sumo: ">=99"}: plain offers no sumo, 2 slots, 1.0 GiB (waited 200 ms for one to join)');
    }
    expect(agent.assignments()).toHaveLength(0);
  });

  it('fails a job at once when its only suitable agent closes its stream (leaving, not coming back)', async () => {
    const patient = new Coordinator({ listen: '127.0.0.1:0', logger: pino({ level: 'silent' }), agentGraceMs: 30_000 });
    await patient.start();
    const credentials = grpc.credentials.createInsecure();
    const agentsClient = new pb.AgentsClient(patient.address, credentials);
    const jobsClient = new pb.JobsClient(patient.address, credentials);
    try {
      const plain = new FakeAgent(agentsClient, 'plain', { echo: false });
      const eu = new FakeAgent(agentsClient, 'eu', { echo: false, capacity: { labels: { zone: 'eu' } } });
      await plain.registered();
      await eu.registered();
      const job = new FakeJob(jobsClient);
      job.open({ requires: { cpus: 0, memoryMb: 0, sumo: '', labels: { zone: 'eu' }, resources: {} } });
      await job.jobId();
      job.send(0, 1);
      job.end(1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(job.results()).toHaveLength(0);
      eu.call.end();
      expect((await job.ended()).state).toBe('completed');
      const outcome = job.results()[0]?.outcome;
      expect(outcome?.$case === 'failure' && outcome.value.kind).toBe('unschedulable');
      plain.call.end();
    } finally {
      agentsClient.close();
      jobsClient.close();
      await patient.stop();
    }
  });

  it('ends open streams when it stops', async () => {
    const agent = new FakeAgent(agents, 'a', { echo: false });
    await waitFor(() => agent.messages.length > 0, 'registered');
    const job = new FakeJob(jobs);
    job.open();
    await job.jobId();
    await coordinator.stop();
    await waitFor(() => job.status && agent.status, 'statuses');
    expect(job.status?.code).toBe(grpc.status.UNAVAILABLE);
    expect(job.status?.details).toContain('re-attaches');
    expect(agent.status?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('stop() called while start() runs resolves only once start() has given everything back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'drover-stop-while-starting-'));
    try {
      const early = new Coordinator({ listen: '127.0.0.1:0', dataDir, logger: pino({ level: 'silent' }) });
      let startSettled = false;
      const starting = early.start().then(
        () => 'started',
        (error: Error) => error.message,
      );
      void starting.finally(() => (startSettled = true));
      await early.stop();
      await Promise.resolve();
      // Before stop() resolves, start() has failed and closed the store and the port it bound.
      expect(startSettled).toBe(true);
      expect(await starting).toContain('Coordinator.stop() was called while start() ran');
      // The data directory is free for the next coordinator at once.
      const next = new Coordinator({ listen: '127.0.0.1:0', dataDir, logger: pino({ level: 'silent' }) });
      await next.start();
      await next.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
