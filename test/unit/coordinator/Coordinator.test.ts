import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../../../src/coordinator/index.ts';
import { pb } from '../../../src/protocol/index.ts';

const DIGEST = 'b'.repeat(64);

async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function capacity(): pb.Capacity {
  return { cpus: 2, memoryMb: 1024, slots: 2, sumoVersion: '', sumoHome: '', labels: {}, resources: {}, hostname: 'h', platform: 'linux', nodeVersion: 'v24' };
}

/** An agent over a real socket; `echo` answers every assignment with its payload as the value. */
class FakeAgent {
  readonly call: grpc.ClientDuplexStream<pb.AgentMessage, pb.CoordinatorMessage>;
  readonly messages: pb.CoordinatorMessage[] = [];
  status: grpc.StatusObject | undefined;

  constructor(client: pb.AgentsClient, name: string, options: { echo: boolean }) {
    this.call = client.connect();
    this.call.on('data', (message: pb.CoordinatorMessage) => {
      this.messages.push(message);
      if (options.echo && message.msg?.$case === 'assign') {
        const results = message.msg.value.tasks.map((t): pb.AttemptResult => ({
          attemptId: t.attemptId,
          outcome: { $case: 'value', value: t.payload },
          worker: 'w1',
          durationMs: 1,
        }));
        this.send({ $case: 'results', value: { results } });
        this.send({ $case: 'credit', value: { tasks: results.length } });
      }
    });
    this.call.on('status', (status) => (this.status = status));
    this.call.on('error', () => {});
    this.send({ $case: 'register', value: { name, capacity: capacity(), version: 'test' } });
  }

  send(msg: pb.AgentMessage['msg']): void {
    this.call.write({ msg });
  }

  assignments(): pb.Assignment[] {
    return this.messages.flatMap((m) => (m.msg?.$case === 'assign' ? m.msg.value.tasks : []));
  }

  cancelled(): string[] {
    return this.messages.flatMap((m) => (m.msg?.$case === 'cancel' ? m.msg.value.attemptIds : []));
  }
}

/** A client's `Jobs.Run` stream over a real socket. */
class FakeJob {
  readonly call: grpc.ClientDuplexStream<pb.JobRequest, pb.JobResponse>;
  readonly responses: pb.JobResponse[] = [];
  status: grpc.StatusObject | undefined;

  constructor(client: pb.JobsClient) {
    this.call = client.run();
    this.call.on('data', (response: pb.JobResponse) => this.responses.push(response));
    this.call.on('status', (status) => (this.status = status));
    this.call.on('error', () => {});
  }

  open(overrides: Partial<pb.OpenJob> = {}): void {
    this.call.write({
      msg: {
        $case: 'open',
        value: { function: { bundleDigest: DIGEST, exportName: 'echo' }, name: 'test', requires: undefined, timeoutMs: 0, retries: 0, retryOnError: false, jobId: '', ...overrides },
      },
    });
  }

  send(from: number, count: number): void {
    const tasks = Array.from({ length: count }, (_, i) => ({ seq: from + i, payload: Buffer.from(`task-${from + i}`), items: 1, firstIndex: from + i }));
    this.call.write({ msg: { $case: 'inputs', value: { tasks } } });
  }

  end(total: number): void {
    this.call.write({ msg: { $case: 'inputEnd', value: { totalTasks: total } } });
  }

  async jobId(): Promise<string> {
    return waitFor(() => {
      const first = this.responses[0]?.msg;
      return first?.$case === 'opened' ? first.value.jobId : undefined;
    }, 'opened');
  }

  results(): pb.TaskResult[] {
    return this.responses.flatMap((r) => (r.msg?.$case === 'results' ? r.msg.value.results : []));
  }

  async ended(): Promise<pb.JobEnd> {
    return waitFor(() => {
      const last = this.responses.at(-1)?.msg;
      return last?.$case === 'end' ? last.value : undefined;
    }, 'job end');
  }
}

function unary<Req, Res>(fn: (request: Req, callback: (error: grpc.ServiceError | null, response?: Res) => void) => unknown, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn(request, (error, response) => (error ? reject(error) : resolve(response!)));
  });
}

let coordinator: Coordinator;
let agents: pb.AgentsClient;
let jobs: pb.JobsClient;
let admin: pb.AdminClient;

beforeEach(async () => {
  coordinator = new Coordinator({ listen: '127.0.0.1:0', logger: pino({ level: 'silent' }) });
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
    expect(status.details).toMatch(/first message .* must be "open"/);
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
    agent.send({ $case: 'results', value: { results: [{ attemptId: running[0], outcome: { $case: 'value', value: Buffer.from('late') }, worker: 'w1', durationMs: 1 }] } });
    agent.send({ $case: 'credit', value: { tasks: 5 } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(agent.assignments()).toHaveLength(2);
    expect(job.results()).toHaveLength(0);

    await expect(unary(jobs.cancel.bind(jobs), { jobId: 'j-nope' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('cancels the job when the client cancels its stream', async () => {
    const agent = new FakeAgent(agents, 'holder', { echo: false });
    agent.send({ $case: 'credit', value: { tasks: 1 } });
    const job = new FakeJob(jobs);
    job.open();
    const jobId = await job.jobId();
    job.send(0, 1);
    // After InputEnd, so only the cancellation (not an early half-close) can end the job.
    job.end(1);
    await waitFor(() => agent.assignments().length === 1, 'assignment');
    job.call.cancel();
    await waitFor(() => agent.cancelled().length === 1, 'cancel attempts');
    expect(agent.cancelled()).toEqual([agent.assignments()[0].attemptId]);
    expect((await unary<pb.GetJobRequest, pb.JobInfo>(jobs.get.bind(jobs), { jobId })).state).toBe('cancelled');
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
    expect(job.results()).toEqual([{ seq: 0, outcome: { $case: 'value', value: Buffer.from('task-0') }, attempt: 2, agent: 'second', worker: 'w1' }]);
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
    expect(agent.status?.code).toBe(grpc.status.OK);
  });
});
