import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { pb } from '../../../src/protocol/index.ts';
import type { AgentSession } from '../../../src/coordinator/AgentSession.ts';
import type { JobState } from '../../../src/coordinator/JobState.ts';
import { Scheduler, type JobOpening } from '../../../src/coordinator/Scheduler.ts';
import { ATTEMPT_WRITE_AFTER_MS, CoordinatorStore, SPILL_BYTES } from '../../../src/coordinator/store/CoordinatorStore.ts';
import { after, capacity, DIGEST, failed, inputs, opening, RecordingAgentSink, RecordingJobSink, settle, silent, value } from './schedulerHarness.ts';

let scheduler: Scheduler;
afterEach(() => scheduler?.shutdown());

type SetupOptions = { maxBatchBytes?: number; finishedJobsKept?: number; agentGraceMs?: number; leaseMs?: number; detachedJobTtlMs?: number; store?: CoordinatorStore };

function setup(options: SetupOptions = {}) {
  scheduler = new Scheduler({ logger: silent, ...options });
  const openJob = (overrides: Partial<JobOpening> = {}): { job: JobState; sink: RecordingJobSink } => {
    const sink = new RecordingJobSink();
    return { job: scheduler.openJob(opening(overrides), sink), sink };
  };
  const addAgent = (name: string, cap: Partial<pb.Capacity> = {}, runningAttemptIds: string[] = [], acksWithAssign = false): { session: AgentSession; sink: RecordingAgentSink } => {
    const sink = new RecordingAgentSink();
    const session = scheduler.addSession({ acksWithAssign, name, capacity: capacity(cap), version: '0', runningAttemptIds }, sink);
    return { session, sink };
  };
  return { openJob, addAgent };
}

describe('Scheduler credit and batching', () => {
  it('sends registered (with the heartbeat interval), and opened at once, before the job is committed', async () => {
    const { openJob, addAgent } = setup({ leaseMs: 9000 });
    const { sink: agentSink, session } = addAgent('a');
    expect(agentSink.messages[0]).toEqual({ msg: { $case: 'registered', value: { sessionId: session.sessionId, heartbeatMs: 3000, creditWithResults: true } } });
    const commits = scheduler.commits;
    const { job, sink } = openJob();
    expect(job.id).toMatch(/^j-/);
    // `opened` promises nothing durable (tasks_accepted 0): it does not wait for a commit.
    expect(sink.messages).toEqual([{ msg: { $case: 'opened', value: { jobId: job.id, tasksAccepted: 0, inputEnded: false, maxTaskBytes: 0 } } }]);
    expect(scheduler.commits).toBe(commits);
  });

  it('never assigns more tasks than the credit granted, one message per pass', async () => {
    const { openJob, addAgent } = setup();
    const { session, sink } = addAgent('a');
    const { job } = openJob({ timeoutMs: 500, requires: { cpus: 2, memoryMb: 0, sumo: '', labels: {}, resources: {} } });
    scheduler.addInputs(job, inputs(0, 10));
    await settle();
    expect(sink.assignments()).toHaveLength(0);

    scheduler.grantCredit(session, 3);
    await settle();
    expect(sink.assignMessages()).toHaveLength(1);
    expect(sink.assignments().map((a) => a.seq)).toEqual([0, 1, 2]);
    expect(session.credit).toBe(0);

    scheduler.grantCredit(session, 1);
    scheduler.grantCredit(session, 1);
    await settle();
    expect(sink.assignMessages()).toHaveLength(2);
    expect(sink.assignments().map((a) => a.seq)).toEqual([0, 1, 2, 3, 4]);

    const first = sink.assignments()[0];
    expect(first).toMatchObject({ jobId: job.id, attempt: 1, items: 1, timeoutMs: 500, slots: 2, firstIndex: 0 });
    expect(first.function).toEqual({ bundleDigest: DIGEST, exportName: 'f' });
    expect(new Set(sink.assignments().map((a) => a.attemptId)).size).toBe(5);
    expect(job.info()).toMatchObject({ tasksSubmitted: 10, tasksRunning: 5 });
    expect(scheduler.stats()).toMatchObject({ agents: 1, tasksQueued: 5, tasksRunning: 5, jobsOpen: 1 });
  });

  it('splits an assign batch to keep messages under the byte bound, a big task alone', async () => {
    const { openJob, addAgent } = setup({ maxBatchBytes: 1000 });
    const { session, sink } = addAgent('a');
    const { job } = openJob();
    scheduler.addInputs(job, inputs(0, 4, 300));
    scheduler.addInputs(job, inputs(4, 1, 5000));
    scheduler.addInputs(job, inputs(5, 1, 10));
    scheduler.grantCredit(session, 100);
    await settle();
    const sizes = sink.assignMessages().map((b) => b.tasks.map((t) => t.seq));
    expect(sizes).toEqual([[0, 1], [2, 3], [4], [5]]);
    expect(session.credit).toBe(94);
  });

  it('gathers results of one turn into one results message and ends the job after the last', async () => {
    const { openJob, addAgent } = setup();
    const { session, sink: agentSink } = addAgent('agent-1');
    const { job, sink } = openJob();
    scheduler.addInputs(job, inputs(0, 5));
    scheduler.endInput(job, 5);
    scheduler.grantCredit(session, 5);
    await settle();
    const ids = agentSink.assignments().map((a) => a.attemptId);
    scheduler.handleProgress(session, [{ attemptId: ids[0], value: Buffer.from([1]), worker: 'w7' }]);
    const resultsAt = performance.now();
    scheduler.handleResults(session, [value(ids[3]), value(ids[1])]);
    scheduler.handleResults(session, [value(ids[0], 'w7')]);
    await settle();
    expect(sink.resultMessages()).toBe(1);
    expect(sink.results().map((r) => r.seq)).toEqual([3, 1, 0]);
    expect(sink.results().map((r) => r.rseq)).toEqual([1, 2, 3]);
    expect(sink.results()[2]).toMatchObject({ attempt: 1, agent: 'agent-1', worker: 'w7' });
    // Acknowledged to the agent once durable, all three in one message (no assignment went out this
    // turn, so it waits up to 5 ms for one to go with). Checked only when this test got here within that
    // wait: under a full parallel suite on 2 cores, settling has taken longer.
    if (performance.now() - resultsAt < 4) expect(agentSink.accepted()).toEqual([]);
    await waitUntil(() => agentSink.accepted().length > 0);
    expect(agentSink.accepted().sort()).toEqual([ids[0], ids[1], ids[3]].sort());
    expect(agentSink.messages.filter((m) => m.msg?.$case === 'resultsAccepted')).toHaveLength(1);
    const progress = sink.messages.find((m) => m.msg?.$case === 'progress');
    expect(progress?.msg?.value).toEqual({ progress: [{ seq: 0, value: Buffer.from([1]), agent: 'agent-1', worker: 'w7' }] });
    expect(sink.end()).toBeUndefined();

    scheduler.handleResults(session, [value(ids[2]), value(ids[4])]);
    await settle();
    expect(sink.results()).toHaveLength(5);
    expect(sink.end()).toEqual({ state: 'completed', message: '' });
    expect(sink.closed).toBe(true);
    expect(scheduler.jobInfo(job.id)).toMatchObject({ state: 'completed', tasksCompleted: 5, tasksFailed: 0, tasksRunning: 0 });
  });

  it('puts acknowledgements inside the next assignment for an agent that registered with acks_with_assign', async () => {
    const { openJob, addAgent } = setup();
    const { session, sink: agentSink } = addAgent('a', {}, [], true);
    const { job } = openJob();
    scheduler.addInputs(job, inputs(0, 4));
    scheduler.endInput(job, 4);
    scheduler.grantCredit(session, 2);
    await settle();
    const [first, second] = agentSink.assignments().map((a) => a.attemptId);
    // The results free two credits, granted with them: the next assignment carries their acknowledgement.
    scheduler.handleResults(session, [value(first!), value(second!)]);
    scheduler.grantCredit(session, 2);
    await waitUntil(() => agentSink.assignments().length === 4);
    const batches = agentSink.assignMessages();
    expect(batches.at(-1)!.acceptedAttemptIds.sort()).toEqual([first, second].sort());
    expect(agentSink.messages.filter((m) => m.msg?.$case === 'resultsAccepted')).toHaveLength(0);
    // With no assignment to ride with, they go in a ResultsAccepted of their own (deferred at most ~5 ms).
    const rest = agentSink.assignments().slice(2).map((a) => a.attemptId);
    scheduler.handleResults(session, rest.map((id) => value(id)));
    await waitUntil(() => agentSink.accepted().length === 4);
    expect(agentSink.messages.filter((m) => m.msg?.$case === 'resultsAccepted').map((m) => m.msg?.value)).toEqual([{ attemptIds: rest }]);
  });

  it('completes a job of zero tasks as soon as input ends', async () => {
    const { openJob } = setup();
    const { job, sink } = openJob();
    scheduler.endInput(job, 0);
    await settle();
    expect(sink.end()?.state).toBe('completed');
  });

  it('keeps only the last finished jobs', async () => {
    const { openJob } = setup({ finishedJobsKept: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { job } = openJob();
      ids.push(job.id);
      scheduler.endInput(job, 0);
      await settle();
    }
    expect(scheduler.jobInfo(ids[0])).toBeUndefined();
    expect(scheduler.listJobs().map((j) => j.jobId)).toEqual(ids.slice(1));
  });

  it('gives no work to a draining session', async () => {
    const { openJob, addAgent } = setup();
    const { session, sink } = addAgent('a');
    const { job } = openJob();
    scheduler.addInputs(job, inputs(0, 2));
    scheduler.drainSession(session.sessionId);
    scheduler.grantCredit(session, 2);
    await settle();
    expect(sink.messages.some((m) => m.msg?.$case === 'drain')).toBe(true);
    expect(sink.assignments()).toHaveLength(0);
    expect(scheduler.listAgents()[0]).toMatchObject({ name: 'a', draining: true, running: 0 });
  });
});

describe('Scheduler holding the results of a collecting job (resultsBatchMax)', () => {
  /** A job of `tasks` inputs whose client collects, with `credit` of them assigned and their inputs committed. */
  async function collecting(options: { tasks: number; credit: number; batchMax?: number; inputEnded?: boolean; acksWithAssign?: boolean }) {
    const { openJob, addAgent } = setup();
    const agent = addAgent('a', {}, [], options.acksWithAssign ?? false);
    const client = openJob({ resultsBatchMax: options.batchMax ?? 8 });
    scheduler.addInputs(client.job, inputs(0, options.tasks));
    if (options.inputEnded) scheduler.endInput(client.job, options.tasks);
    scheduler.grantCredit(agent.session, options.credit);
    // The inputs' own commit (deferred a few ms): what follows starts from a clean slate.
    await waitUntil(() => client.sink.messages.some((m) => m.msg?.$case === 'inputsAccepted'));
    const ids = agent.sink.assignments().map((a) => a.attemptId);
    /** The agent reports the i-th assignment's result; resolves with the seqs the client has after the turn. */
    const answer = async (i: number, result: (attemptId: string) => pb.AttemptResult = value): Promise<number[]> => {
      scheduler.handleResults(agent.session, [result(ids[i]!)]);
      await settle();
      return client.sink.results().map((r) => r.seq);
    };
    return { agent, client, ids, answer, commits: scheduler.commits };
  }

  it('holds its results while it has queued tasks, then commits and sends them together, and acknowledges them only after that commit', async () => {
    const { agent, client, ids, commits } = await collecting({ tasks: 10, credit: 2, acksWithAssign: true });
    scheduler.handleResults(agent.session, [value(ids[0]!)]);
    scheduler.grantCredit(agent.session, 1);
    await settle();
    // The freed slot gets its next task at once, without the acknowledgement: the result is not durable yet.
    expect(agent.sink.assignMessages()).toHaveLength(2);
    expect(agent.sink.accepted()).toEqual([]);
    expect(client.sink.results()).toEqual([]);
    expect(scheduler.commits).toBe(commits);
    scheduler.handleResults(agent.session, [value(ids[1]!)]);
    await settle();
    expect(client.sink.results()).toEqual([]);

    await waitUntil(() => client.sink.results().length === 2);
    expect(client.sink.resultMessages()).toBe(1);
    expect(client.sink.results().map((r) => [r.seq, r.rseq])).toEqual([[0, 1], [1, 2]]);
    expect(scheduler.commits).toBe(commits + 1);
    await waitUntil(() => agent.sink.accepted().length === 2);
    expect(agent.sink.accepted().sort()).toEqual([ids[0], ids[1]].sort());
  });

  it('sends at once what may not wait: a failure, a full batch, the job\'s last result, and results its client may need to send more input', async () => {
    const failure = await collecting({ tasks: 10, credit: 2 });
    expect(await failure.answer(0, (id) => failed(id, 'error'))).toEqual([0]);
    scheduler.shutdown();

    const full = await collecting({ tasks: 10, credit: 3, batchMax: 2 });
    expect(await full.answer(0)).toEqual([]);
    expect(await full.answer(1)).toEqual([0, 1]);
    expect(full.client.sink.resultMessages()).toBe(1);
    scheduler.shutdown();

    // Input ended and nothing queued: held until the last result, which completes the job at once.
    const last = await collecting({ tasks: 2, credit: 2, inputEnded: true });
    expect(await last.answer(1)).toEqual([]);
    expect(await last.answer(0)).toEqual([1, 0]);
    expect(last.client.sink.end()).toEqual({ state: 'completed', message: '' });
    scheduler.shutdown();

    // Input still open and nothing queued: the client may be waiting for these results to send more.
    const open = await collecting({ tasks: 2, credit: 2 });
    expect(await open.answer(0)).toEqual([0]);
  });

  it('holds nothing for a job that did not ask (resultsBatchMax 0)', async () => {
    const { answer, commits } = await collecting({ tasks: 10, credit: 2, batchMax: 0 });
    expect(await answer(0)).toEqual([0]);
    expect(scheduler.commits).toBe(commits + 1);
  });

  it('lets the agent hold such a job\'s results too (resultWaitMs), and no other job\'s', async () => {
    const held = await collecting({ tasks: 4, credit: 2 });
    expect(held.agent.sink.assignments().map((a) => a.resultWaitMs)).toEqual([10, 10]);
    scheduler.shutdown();
    const plain = await collecting({ tasks: 4, credit: 2, batchMax: 0 });
    expect(plain.agent.sink.assignments().map((a) => a.resultWaitMs)).toEqual([0, 0]);
  });

  it('runs a held result\'s task again after a crash before its commit (held results are not durable)', async () => {
    await inTempDir(async (dir) => {
      const data = join(dir, 'data');
      mkdirSync(data);
      const original = new Scheduler({ logger: silent, store: CoordinatorStore.open({ path: join(data, 'db.sqlite') }) });
      const agentSink = new RecordingAgentSink();
      const session = original.addSession({ acksWithAssign: false, name: 'a', capacity: capacity(), version: '0', runningAttemptIds: [] }, agentSink);
      const client = new RecordingJobSink();
      const job = original.openJob(opening({ resultsBatchMax: 8 }), client);
      original.addInputs(job, inputs(0, 4));
      original.endInput(job, 4);
      original.grantCredit(session, 2);
      await waitUntil(() => client.messages.some((m) => m.msg?.$case === 'inputsAccepted'));
      original.handleResults(session, [value(agentSink.assignments()[0]!.attemptId)]);
      await settle();
      expect(client.results()).toEqual([]);
      // The process dies now: a coordinator on the files as they are (copied: the original still holds
      // them) finds the task without its result.
      const copy = join(dir, 'after-crash');
      cpSync(data, copy, { recursive: true });
      scheduler = new Scheduler({ logger: silent, store: CoordinatorStore.open({ path: join(copy, 'db.sqlite') }), agentGraceMs: 5000 });
      expect(scheduler.restore()).toEqual({ jobs: 1, queued: 2, running: 2, finished: 0 });
      expect(scheduler.jobInfo(job.id)).toMatchObject({ tasksCompleted: 0 });
      original.shutdown();
    });
  });
});

describe('Scheduler fair share', () => {
  it('alternates between a huge job submitted first and a small one submitted later', async () => {
    const { openJob, addAgent } = setup();
    const { session, sink } = addAgent('a');
    const big = openJob().job;
    scheduler.addInputs(big, inputs(0, 1000));
    const small = openJob().job;
    scheduler.addInputs(small, inputs(0, 10));
    scheduler.grantCredit(session, 20);
    await settle();
    const byJob = (id: string) => sink.assignments().filter((a) => a.jobId === id).length;
    expect(byJob(small.id)).toBe(10);
    expect(byJob(big.id)).toBe(10);
  });

  it('rotates across passes when credit comes one task at a time', async () => {
    const { openJob, addAgent } = setup();
    const { session, sink } = addAgent('a');
    const big = openJob().job;
    scheduler.addInputs(big, inputs(0, 100));
    const small = openJob().job;
    scheduler.addInputs(small, inputs(0, 3));
    for (let i = 0; i < 6; i++) {
      scheduler.grantCredit(session, 1);
      await settle();
    }
    expect(sink.assignMessages()).toHaveLength(6);
    const order = sink.assignments().map((a) => (a.jobId === big.id ? 'B' : 's'));
    expect(order).toEqual(['B', 's', 'B', 's', 'B', 's']);
  });
});

describe('Scheduler spreading work over agents', () => {
  it('shares a short queue by slots when agents hold far more credit than it has tasks', async () => {
    const { openJob, addAgent } = setup();
    const a = addAgent('a', { slots: 2 });
    const b = addAgent('b', { slots: 2 });
    // What adaptive prefetch leaves after a run of tiny tasks: ~128 credits per slot on each agent.
    scheduler.grantCredit(a.session, 258);
    scheduler.grantCredit(b.session, 258);
    const { job } = openJob();
    scheduler.addInputs(job, inputs(0, 10));
    await settle();
    // Filling agent a's credit first would give it all 10 long tasks while b idles. Shared: each
    // agent's 2 free slots, then rounds of 2 (its slots) — 3 rounds of work on a, 2 on b.
    expect(a.sink.assignments()).toHaveLength(6);
    expect(b.sink.assignments()).toHaveLength(4);
    expect(a.sink.assignMessages()).toHaveLength(1);
    expect(a.session.credit).toBe(252);
  });

  it('gives queued work to free slots before agents busy with earlier tasks', async () => {
    const { openJob, addAgent } = setup();
    const busy = addAgent('busy', { slots: 2 });
    scheduler.grantCredit(busy.session, 2);
    const { job } = openJob();
    scheduler.addInputs(job, inputs(0, 2));
    await settle();
    expect(busy.sink.assignments()).toHaveLength(2);

    const idle = addAgent('idle', { slots: 2 });
    scheduler.grantCredit(busy.session, 100);
    scheduler.grantCredit(idle.session, 100);
    scheduler.addInputs(job, inputs(2, 3));
    await settle();
    // busy already runs 2 tasks on its 2 slots: idle starts 2 now; the third is shared by rounds.
    // (Filling by credit alone, busy — first in line — would take all 3 and idle none.)
    expect(idle.sink.assignments()).toHaveLength(2);
    expect(busy.sink.assignments()).toHaveLength(3);
    expect(scheduler.stats().tasksQueued).toBe(0);
  });

  it('re-queues tasks an agent hands back unstarted, in order, without using up an attempt', async () => {
    const { openJob, addAgent } = setup();
    const a = addAgent('a', { slots: 1 });
    scheduler.grantCredit(a.session, 5);
    const { job } = openJob({ retries: 0 });
    scheduler.addInputs(job, inputs(0, 5));
    await settle();
    const assigned = a.sink.assignments();
    expect(assigned.map((t) => t.seq)).toEqual([0, 1, 2, 3, 4]);

    const b = addAgent('b', { slots: 1 });
    scheduler.handleReturned(a.session, [assigned[3].attemptId, assigned[4].attemptId, 'not-an-attempt']);
    expect(job.info()).toMatchObject({ tasksRunning: 3 });
    scheduler.grantCredit(b.session, 5);
    await settle();
    // Same order, still attempt 1: a hand-back is not a failed attempt (retries: 0 would end the task).
    expect(b.sink.assignments().map((t) => [t.seq, t.attempt])).toEqual([[3, 1], [4, 1]]);
    // b cannot hand back a's attempts; a's results for what it handed back are fenced off.
    scheduler.handleReturned(b.session, [assigned[0].attemptId]);
    scheduler.handleResults(a.session, [value(assigned[3].attemptId), value(assigned[0].attemptId)]);
    await settle();
    expect(scheduler.fencedResults).toBe(1);
    expect(job.info()).toMatchObject({ tasksRunning: 5 - 1, tasksCompleted: 1 });
  });

  it('still fills every credit when the queue is deeper than the credit on offer', async () => {
    const { openJob, addAgent } = setup();
    const a = addAgent('a', { slots: 1 });
    const b = addAgent('b', { slots: 4 });
    scheduler.grantCredit(a.session, 30);
    scheduler.grantCredit(b.session, 10);
    const { job } = openJob();
    scheduler.addInputs(job, inputs(0, 100));
    await settle();
    expect(a.sink.assignments()).toHaveLength(30);
    expect(b.sink.assignments()).toHaveLength(10);
  });
});

describe('Scheduler requirement matching', () => {
  it('only assigns a job to agents that satisfy its requirements', async () => {
    const { openJob, addAgent } = setup();
    const plain = addAgent('plain', { slots: 8 });
    const gpu = addAgent('gpu', { slots: 2, labels: { gpu: 'yes' }, sumoVersion: '1.20.0' });
    const { job } = openJob({ requires: { cpus: 2, memoryMb: 1024, sumo: '>=1.15', labels: { gpu: 'yes' }, resources: {} } });
    const anyJob = openJob().job;
    scheduler.addInputs(job, inputs(0, 3));
    scheduler.grantCredit(plain.session, 10);
    await settle();
    expect(plain.sink.assignments()).toHaveLength(0);

    scheduler.addInputs(anyJob, inputs(0, 1));
    scheduler.grantCredit(gpu.session, 10);
    await settle();
    expect(plain.sink.assignments().map((a) => a.jobId)).toEqual([anyJob.id]);
    expect(gpu.sink.assignments().map((a) => a.seq)).toEqual([0, 1, 2]);
    expect(gpu.sink.assignments().every((a) => a.jobId === job.id && a.slots === 2)).toBe(true);
  });

  it('lets unmatched tasks wait (within unschedulableWaitMs) until a matching agent joins', async () => {
    const { openJob, addAgent } = setup();
    const { job } = openJob({ requires: { cpus: 0, memoryMb: 0, sumo: '*', labels: {}, resources: { licence: 1 } }, unschedulableWaitMs: 60_000 });
    scheduler.addInputs(job, inputs(0, 1));
    const none = addAgent('no-sumo', { resources: { licence: 5 } });
    scheduler.grantCredit(none.session, 1);
    await settle();
    expect(none.sink.assignments()).toHaveLength(0);
    const yes = addAgent('sumo', { sumoVersion: '1.9.2', resources: { licence: 1 } });
    scheduler.grantCredit(yes.session, 1);
    await settle();
    expect(yes.sink.assignments()).toHaveLength(1);
  });
});

describe('Scheduler retries and fencing', () => {
  it('re-queues a lost agent\'s attempt with attempt+1 after the grace, then fails it as lost when retries run out', async () => {
    const { openJob, addAgent } = setup({ agentGraceMs: 30 });
    const a = addAgent('agent-a');
    const { job, sink } = openJob({ retries: 1 });
    scheduler.addInputs(job, inputs(0, 3));
    scheduler.endInput(job, 3);
    scheduler.grantCredit(a.session, 1);
    await settle();
    expect(a.sink.assignments().map((t) => [t.seq, t.attempt])).toEqual([[0, 1]]);

    scheduler.removeSession(a.session, 'test');
    const b = addAgent('agent-b');
    scheduler.grantCredit(b.session, 1);
    await settle();
    // Within the grace the attempt still belongs to agent-a: b gets the next task, not seq 0.
    expect(b.sink.assignments().map((t) => [t.seq, t.attempt])).toEqual([[1, 1]]);
    expect(job.info().tasksRunning).toBe(2);

    await after(60);
    scheduler.grantCredit(b.session, 1);
    await settle();
    // Back at the front of its job's queue, ahead of seq 2.
    expect(b.sink.assignments().map((t) => [t.seq, t.attempt])).toEqual([[1, 1], [0, 2]]);
    expect(job.info().tasksRunning).toBe(2);

    scheduler.removeSession(b.session, 'connection reset');
    await after(60);
    const lost = sink.results().filter((r) => r.seq === 0);
    expect(lost).toHaveLength(1);
    const [result] = lost;
    expect(result.attempt).toBe(2);
    expect(result.agent).toBe('agent-b');
    expect(result.outcome?.$case).toBe('failure');
    const failure = result.outcome?.$case === 'failure' ? result.outcome.value : undefined;
    expect(failure?.kind).toBe('lost');
    expect(failure?.message).toContain('agent-b');
    expect(failure?.message).toContain('connection reset');
    // seq 1 (attempt 1 of 1 retry) went back to the queue.
    expect(job.info()).toMatchObject({ tasksCompleted: 1, tasksFailed: 1, tasksRunning: 0 });
    expect(scheduler.stats().tasksQueued).toBe(2);
  });

  it('keeps the attempts an agent lists when it registers again within the grace, cancels stale ones and re-queues the unlisted', async () => {
    const { openJob, addAgent } = setup({ agentGraceMs: 5000 });
    const first = addAgent('agent-a');
    const { job, sink } = openJob({ retries: 3 });
    scheduler.addInputs(job, inputs(0, 3));
    scheduler.endInput(job, 3);
    scheduler.grantCredit(first.session, 2);
    await settle();
    const [kept, dropped] = first.sink.assignments().map((t) => t.attemptId);
    scheduler.removeSession(first.session, 'stream broke');

    const again = addAgent('agent-a', {}, [kept, 'zz.unknown']);
    expect(again.sink.cancelled()).toEqual(['zz.unknown']);
    expect(again.session.running.has(kept)).toBe(true);
    scheduler.grantCredit(again.session, 2);
    await settle();
    // The kept attempt is not re-dispatched; the one the agent no longer holds runs again at once
    // (attempt 2, ahead of the untouched task).
    expect(again.sink.assignments().map((t) => [t.seq, t.attempt])).toEqual([[1, 2], [2, 1]]);

    // A result for the kept attempt on the new session counts; one for the unlisted attempt is fenced.
    scheduler.handleResults(again.session, [value(kept), value(dropped), ...again.sink.assignments().map((t) => value(t.attemptId))]);
    await settle();
    expect(sink.results().map((r) => [r.seq, r.attempt])).toEqual([[0, 1], [1, 2], [2, 1]]);
    expect(sink.end()?.state).toBe('completed');
    expect(scheduler.fencedResults).toBe(1);
    await waitUntil(() => again.sink.accepted().length === 4);
  });

  it('replaces a live session when its agent registers again', async () => {
    const { openJob, addAgent } = setup();
    const first = addAgent('agent-a');
    const { job } = openJob();
    scheduler.addInputs(job, inputs(0, 1));
    scheduler.grantCredit(first.session, 1);
    await settle();
    const id = first.sink.assignments()[0].attemptId;
    const second = addAgent('agent-a', {}, [id]);
    expect(first.sink.aborted).toContain('connected again');
    expect(second.session.running.has(id)).toBe(true);
    expect(scheduler.listAgents().map((a) => a.sessionId)).toEqual([second.session.sessionId]);
  });

  it('fences a late result after the grace re-queued its attempt, and still acknowledges it', async () => {
    const { openJob, addAgent } = setup({ agentGraceMs: 20 });
    const a = addAgent('agent-a');
    const { job, sink } = openJob({ retries: 2 });
    scheduler.addInputs(job, inputs(0, 1));
    scheduler.endInput(job, 1);
    scheduler.grantCredit(a.session, 1);
    await settle();
    const staleId = a.sink.assignments()[0].attemptId;
    // Another agent presenting agent-a's current attempt is fenced off.
    const intruder = addAgent('intruder');
    scheduler.handleResults(intruder.session, [value(staleId)]);
    await settle();
    expect(scheduler.fencedResults).toBe(1);
    expect(job.info().tasksRunning).toBe(1);
    scheduler.removeSession(a.session, 'test');
    await after(50);

    const b = addAgent('agent-b');
    scheduler.grantCredit(b.session, 1);
    await settle();
    const liveId = b.sink.assignments()[0].attemptId;
    expect(liveId).not.toBe(staleId);
    expect(b.sink.assignments()[0].attempt).toBe(2);

    // agent-a comes back and sends its late result: not current any more.
    const back = addAgent('agent-a', {}, [staleId]);
    expect(back.sink.cancelled()).toEqual([staleId]);
    scheduler.handleResults(back.session, [value(staleId)]);
    // The stale id presented by another agent is fenced off too.
    scheduler.handleResults(b.session, [value(staleId)]);
    await settle();
    expect(sink.results()).toHaveLength(0);
    expect(scheduler.fencedResults).toBe(3);
    await waitUntil(() => back.sink.accepted().length > 0);
    expect(back.sink.accepted()).toEqual([staleId]);
    expect(job.info().tasksRunning).toBe(1);

    scheduler.handleResults(b.session, [value(liveId, 'w2')]);
    scheduler.handleResults(b.session, [value(liveId, 'w3')]);
    await settle();
    expect(sink.results()).toHaveLength(1);
    expect(sink.results()[0]).toMatchObject({ seq: 0, attempt: 2, agent: 'agent-b', worker: 'w2', rseq: 1 });
    expect(sink.end()?.state).toBe('completed');
    expect(scheduler.fencedResults).toBe(4);
  });

  it('ends the session of a silent agent when its lease expires', async () => {
    const { openJob, addAgent } = setup({ leaseMs: 40, agentGraceMs: 10_000 });
    const quiet = addAgent('quiet');
    const chatty = addAgent('chatty');
    const { job } = openJob();
    scheduler.addInputs(job, inputs(0, 1));
    scheduler.grantCredit(quiet.session, 1);
    await settle();
    // The chatty one was heard from "just now" for the whole wait (no timer to miss on a loaded machine).
    chatty.session.lastSeenMs = Date.now() + 60_000;
    await waitUntil(() => quiet.sink.aborted !== '');
    expect(quiet.sink.aborted).toMatch(/lease expired: agent "quiet" .* sent nothing for \d+ ms \(lease 40 ms/);
    expect(chatty.sink.aborted).toBe('');
    expect(scheduler.listAgents().map((a) => a.name)).toEqual(['chatty']);
    // Its attempt waits for the grace (orphaned, still counted as running).
    expect(job.info().tasksRunning).toBe(1);
  });

  it('retries crashes within the budget, errors only with retryOnError, never timeouts', async () => {
    const { openJob, addAgent } = setup();
    const a = addAgent('a');
    const plain = openJob({ retries: 1 });
    const lenient = openJob({ retries: 1, retryOnError: true });
    scheduler.addInputs(plain.job, inputs(0, 3));
    scheduler.addInputs(lenient.job, inputs(0, 1));
    scheduler.grantCredit(a.session, 4);
    await settle();
    const id = (jobId: string, seq: number) => a.sink.assignments().find((t) => t.jobId === jobId && t.seq === seq && t.attempt === 1)!.attemptId;
    scheduler.handleResults(a.session, [
      failed(id(plain.job.id, 0), 'crashed'),
      failed(id(plain.job.id, 1), 'error'),
      failed(id(plain.job.id, 2), 'timeout'),
      failed(id(lenient.job.id, 0), 'error'),
    ]);
    scheduler.grantCredit(a.session, 10);
    await settle();
    const retried = a.sink.assignments().filter((t) => t.attempt === 2);
    expect(retried.map((t) => [t.jobId, t.seq]).sort()).toEqual([[lenient.job.id, 0], [plain.job.id, 0]].sort());
    expect(plain.sink.results().map((r) => [r.seq, r.outcome?.$case === 'failure' && r.outcome.value.kind])).toEqual([
      [1, 'error'],
      [2, 'timeout'],
    ]);

    // Second crash: the budget (1 retry) is spent, the crash is final.
    const again = retried.find((t) => t.jobId === plain.job.id)!;
    scheduler.handleResults(a.session, [failed(again.attemptId, 'crashed')]);
    await settle();
    const last = plain.sink.results().at(-1)!;
    expect(last).toMatchObject({ seq: 0, attempt: 2 });
    expect(last.outcome?.$case === 'failure' && last.outcome.value.kind).toBe('crashed');
  });

  it('retries failures the agent marks retryable within the budget, then keeps the last one as it is', async () => {
    const { openJob, addAgent } = setup();
    const a = addAgent('a');
    const twice = openJob({ retries: 1 });
    const never = openJob({ retries: 0 });
    scheduler.addInputs(twice.job, inputs(0, 2));
    scheduler.addInputs(never.job, inputs(0, 1));
    scheduler.grantCredit(a.session, 3);
    await settle();
    const first = (job: JobState, seq: number) => a.sink.assignments().find((t) => t.jobId === job.id && t.seq === seq && t.attempt === 1)!.attemptId;
    const sumoCrash = { retryable: true, code: 'DROVER_SUMO_CRASH', name: 'SumoCrashError' };
    scheduler.handleResults(a.session, [
      failed(first(twice.job, 0), 'error', sumoCrash),
      failed(first(twice.job, 1), 'timeout', { retryable: true }),
      failed(first(never.job, 0), 'error', sumoCrash),
    ]);
    scheduler.grantCredit(a.session, 10);
    await settle();
    // Both of the job with a retry left run again; the job without one gets the failure unchanged.
    expect(a.sink.assignments().filter((t) => t.attempt === 2).map((t) => [t.jobId, t.seq]).sort()).toEqual([
      [twice.job.id, 0],
      [twice.job.id, 1],
    ]);
    expect(never.sink.results()).toHaveLength(1);
    expect(never.sink.results()[0]).toMatchObject({ seq: 0, attempt: 1, outcome: { $case: 'failure', value: { kind: 'error', retryable: true, code: 'DROVER_SUMO_CRASH', name: 'SumoCrashError' } } });
    expect(twice.sink.results()).toHaveLength(0);

    // The budget is spent: the second retryable failure is final, kind and code as the agent said.
    const second = a.sink.assignments().find((t) => t.jobId === twice.job.id && t.seq === 0 && t.attempt === 2)!;
    scheduler.handleResults(a.session, [failed(second.attemptId, 'error', sumoCrash)]);
    await settle();
    expect(twice.sink.results()).toMatchObject([{ seq: 0, attempt: 2, rseq: 1, outcome: { $case: 'failure', value: { kind: 'error', retryable: true, code: 'DROVER_SUMO_CRASH' } } }]);
    expect(a.sink.assignments().filter((t) => t.attempt === 3)).toHaveLength(0);
  });

  it('cancels: drops queued work, stops running attempts, ends the stream and fences late results', async () => {
    const { openJob, addAgent } = setup();
    const a = addAgent('a');
    const { job, sink } = openJob();
    const other = openJob();
    scheduler.addInputs(job, inputs(0, 10));
    scheduler.addInputs(other.job, inputs(0, 1));
    scheduler.grantCredit(a.session, 3);
    await settle();
    const running = a.sink.assignments().filter((t) => t.jobId === job.id).map((t) => t.attemptId);
    expect(running).toHaveLength(2);

    expect(scheduler.cancelJob(job, 'by test')).toBe(true);
    expect(scheduler.cancelJob(job, 'twice')).toBe(false);
    expect(a.sink.cancelled().sort()).toEqual([...running].sort());
    expect(sink.end()).toEqual({ state: 'cancelled', message: 'by test' });
    expect(sink.closed).toBe(true);
    expect(scheduler.jobInfo(job.id)).toMatchObject({ state: 'cancelled', tasksRunning: 0 });

    scheduler.handleResults(a.session, running.map((id) => value(id)));
    scheduler.grantCredit(a.session, 10);
    await settle();
    // Nothing more of the cancelled job is assigned or delivered.
    expect(a.sink.assignments().filter((t) => t.jobId === job.id)).toHaveLength(2);
    expect(sink.results()).toHaveLength(0);
    expect(a.session.running.size).toBe(1);
    expect(scheduler.stats().tasksQueued).toBe(0);
  });
});

describe('Scheduler durability', () => {
  it('commits a turn\'s inputs, assignments and results in one transaction each turn', async () => {
    const { openJob, addAgent } = setup();
    const a = addAgent('a');
    const { job, sink } = openJob();
    await settle();
    const before = scheduler.commits;
    scheduler.addInputs(job, inputs(0, 200));
    scheduler.addInputs(job, inputs(200, 300));
    scheduler.endInput(job, 500);
    scheduler.grantCredit(a.session, 500);
    await settle();
    // One turn: the 500 assignments go out at once; the inputs' commit waits, since nothing sent so far
    // depends on it (inputs_accepted does, and waits with it).
    expect(a.sink.assignMessages()).toHaveLength(1);
    expect(scheduler.commits - before).toBe(0);
    expect(sink.messages.filter((m) => m.msg?.$case === 'inputsAccepted')).toEqual([]);
    scheduler.handleResults(a.session, a.sink.assignments().slice(0, 250).map((t) => value(t.attemptId)));
    scheduler.handleResults(a.session, a.sink.assignments().slice(250).map((t) => value(t.attemptId)));
    await settle();
    expect(sink.resultMessages()).toBe(1);
    expect(sink.results().map((r) => r.rseq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(sink.end()?.state).toBe('completed');
    expect(sink.messages.filter((m) => m.msg?.$case === 'inputsAccepted').map((m) => m.msg?.value)).toEqual([{ tasksAccepted: 500 }]);
    // The inputs and their results in one commit (tasks finished before it are never written), then the
    // completed state's (which may wait a few milliseconds to be joined with another).
    await waitUntil(() => scheduler.commits - before >= 2);
    await after(20);
    expect(scheduler.commits - before).toBe(2);
  });

  it('commits inputs that get no result within a few milliseconds on their own, then says they are accepted', async () => {
    const { openJob, addAgent } = setup();
    const a = addAgent('a');
    const { job, sink } = openJob();
    await settle();
    const before = scheduler.commits;
    scheduler.addInputs(job, inputs(0, 3));
    scheduler.grantCredit(a.session, 3);
    await settle();
    expect(a.sink.assignments()).toHaveLength(3);
    expect(scheduler.commits - before).toBe(0);
    await waitUntil(() => sink.messages.some((m) => m.msg?.$case === 'inputsAccepted'));
    expect(scheduler.commits - before).toBe(1);
    expect(sink.messages.filter((m) => m.msg?.$case === 'inputsAccepted').map((m) => m.msg?.value)).toEqual([{ tasksAccepted: 3 }]);
  });

  it("lets a finished job's deletion wait: the next job's first assignment goes out before any commit", async () => {
    const store = CoordinatorStore.open();
    const { openJob, addAgent } = setup({ store });
    const agent = addAgent('a');
    const { job: done, sink: first } = openJob();
    scheduler.addInputs(done, inputs(0, 1));
    scheduler.endInput(done, 1);
    scheduler.grantCredit(agent.session, 1);
    await settle();
    scheduler.handleResults(agent.session, [value(agent.sink.assignments()[0]!.attemptId)]);
    await waitUntil(() => first.end() !== undefined && !store.hasPendingWrites);
    const commits = scheduler.commits;
    // The client read everything (its half-close) and at once opens the next job, as a `map` in a loop does.
    scheduler.clientEnded(done, first);
    const { job: next } = openJob();
    scheduler.addInputs(next, inputs(0, 1));
    scheduler.grantCredit(agent.session, 1);
    await settle();
    expect(agent.sink.assignments().map((a) => a.jobId)).toEqual([done.id, next.id]);
    expect(scheduler.commits).toBe(commits);
    // The deletion follows within a few milliseconds, with the new job's tasks.
    await waitUntil(() => scheduler.commits > commits);
    expect(store.countRows('results', done.no)).toBe(0);
    expect(scheduler.jobInfo(done.id)).toMatchObject({ state: 'completed' });
  });

  it('checkpoints the store once commits pause, and only once the WAL holds enough of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-scheduler-test-'));
    try {
      const store = CoordinatorStore.open({ path: join(dir, 'db.sqlite') });
      let checkpoints = 0;
      const checkpoint = store.checkpoint.bind(store);
      store.checkpoint = () => {
        checkpoints += 1;
        checkpoint();
      };
      scheduler = new Scheduler({ logger: silent, store, idleCheckpointCommits: 4 });
      const sink = new RecordingJobSink();
      const job = scheduler.openJob(opening(), sink);
      const commitOne = async (i: number) => {
        const commits = scheduler.commits;
        scheduler.addInputs(job, inputs(i, 1));
        await waitUntil(() => scheduler.commits > commits);
        await settle();
      };
      // The opening and one input, committed together: below the threshold, nothing to wait for.
      await commitOne(0);
      await after(250);
      expect(checkpoints).toBe(0);
      expect(store.commitsSinceCheckpoint).toBe(1);
      for (let i = 1; i < 6; i++) await commitOne(i);
      expect(sink.messages.filter((m) => m.msg?.$case === 'inputsAccepted')).toHaveLength(6);
      await waitUntil(() => store.commitsSinceCheckpoint === 0);
      // One checkpoint after the burst (more only if this machine stalled 100 ms between commits).
      expect(checkpoints).toBeGreaterThanOrEqual(1);
      expect(checkpoints).toBeLessThan(4);
    } finally {
      scheduler.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes a running first attempt once it has run ATTEMPT_WRITE_AFTER_MS, with nothing else to commit; a short one never', async () => {
    const store = CoordinatorStore.open();
    scheduler = new Scheduler({ logger: silent, store });
    const agentSink = new RecordingAgentSink();
    const session = scheduler.addSession({ acksWithAssign: false, name: 'a', capacity: capacity(), version: '0', runningAttemptIds: [] }, agentSink);
    const job = scheduler.openJob(opening(), new RecordingJobSink());
    scheduler.addInputs(job, inputs(0, 2));
    await waitUntil(() => [...store.tasksOf(job.no)].length === 2);
    scheduler.grantCredit(session, 2);
    await waitUntil(() => agentSink.assignments().length === 2);
    const [short, long] = agentSink.assignments();
    scheduler.handleResults(session, [value(short!.attemptId)]);
    const attempts = () => [...store.tasksOf(job.no)].map((t) => [t.seq, t.attempt, t.attemptId]);
    await after(ATTEMPT_WRITE_AFTER_MS / 2);
    expect(attempts()).toEqual([[long!.seq, 0, '']]);
    await waitUntil(() => attempts()[0]?.[2] !== '');
    expect(attempts()).toEqual([[long!.seq, 1, long!.attemptId]]);
  });

  it('sends nothing that promises durability while commits fail, and everything once one succeeds', async () => {
    const store = CoordinatorStore.open();
    let failing = true;
    const commit = store.commit.bind(store);
    store.commit = () => {
      if (failing) throw new Error('disk full (test)');
      return commit();
    };
    scheduler = new Scheduler({ logger: silent, store });
    const agentSink = new RecordingAgentSink();
    const session = scheduler.addSession({ acksWithAssign: false, name: 'a', capacity: capacity(), version: '0', runningAttemptIds: [] }, agentSink);
    const sink = new RecordingJobSink();
    const job = scheduler.openJob(opening(), sink);
    scheduler.addInputs(job, inputs(0, 2));
    scheduler.endInput(job, 2);
    scheduler.grantCredit(session, 2);
    await after(30);
    // `opened` and the assignments promise nothing durable; `inputs_accepted` would.
    expect(sink.messages.map((m) => m.msg?.$case)).toEqual(['opened']);
    expect(agentSink.assignments()).toHaveLength(2);

    failing = false;
    await waitUntil(() => sink.messages.length === 2);
    expect(sink.messages.map((m) => m.msg?.$case)).toEqual(['opened', 'inputsAccepted']);
    expect(sink.messages[1].msg?.value).toEqual({ tasksAccepted: 2 });

    failing = true;
    scheduler.handleResults(session, agentSink.assignments().map((t) => value(t.attemptId)));
    await after(30);
    expect(sink.results()).toEqual([]);
    expect(agentSink.accepted()).toEqual([]);
    failing = false;
    await waitUntil(() => sink.end() !== undefined);
    expect(sink.results().map((r) => r.rseq)).toEqual([1, 2]);
    await waitUntil(() => agentSink.accepted().length === 2);
    expect(store.countRows('tasks')).toBe(0);
  });

  it('restores jobs from the store: queued tasks queue again, running ones wait for their agent', async () => {
    const store = CoordinatorStore.open();
    const original = new Scheduler({ logger: silent, store });
    const agentSink = new RecordingAgentSink();
    const session = original.addSession({ acksWithAssign: false, name: 'a', capacity: capacity(), version: '0', runningAttemptIds: [] }, agentSink);
    const job = original.openJob(opening({ retries: 1 }), new RecordingJobSink());
    original.addInputs(job, inputs(0, 4));
    original.endInput(job, 4);
    original.grantCredit(session, 2);
    await settle();
    const [done, running] = agentSink.assignments();
    original.handleResults(session, [value(done.attemptId)]);
    await settle();
    // Stop without closing the store (as a crash would leave it), then restore from it.
    const close = store.close.bind(store);
    store.close = () => {};
    original.shutdown();
    store.close = close;

    scheduler = new Scheduler({ logger: silent, store, agentGraceMs: 5000 });
    expect(scheduler.restore()).toEqual({ jobs: 1, queued: 2, running: 1, finished: 0 });
    expect(scheduler.jobInfo(job.id)).toMatchObject({ state: 'open', tasksSubmitted: 4, tasksCompleted: 1, tasksRunning: 1, inputEnded: true });
    const back = new RecordingAgentSink();
    const again = scheduler.addSession({ acksWithAssign: false, name: 'a', capacity: capacity(), version: '0', runningAttemptIds: [running.attemptId, done.attemptId] }, back);
    expect(again.running.has(running.attemptId)).toBe(true);
    expect(back.cancelled()).toEqual([done.attemptId]);
    const client = new RecordingJobSink();
    scheduler.attachJob(job.id, 0, client);
    expect(client.messages[0].msg).toEqual({ $case: 'opened', value: { jobId: job.id, tasksAccepted: 4, inputEnded: true, maxTaskBytes: 0 } });
    expect(client.results()).toMatchObject([{ seq: done.seq, rseq: 1 }]);
    scheduler.grantCredit(again, 5);
    await settle();
    expect(back.assignments().map((t) => [t.seq, t.attempt])).toEqual([[2, 1], [3, 1]]);
  });

  it('fails a restored task whose payload file is gone with a message that says so, and queues the rest', async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, 'db.sqlite');
      const store = CoordinatorStore.open({ path });
      const original = new Scheduler({ logger: silent, store });
      const job = original.openJob(opening(), new RecordingJobSink());
      const big = inputs(0, 1, SPILL_BYTES + 1);
      original.addInputs(job, [...big, ...inputs(1, 1)]);
      original.endInput(job, 2);
      await waitUntil(() => original.commits > 0);
      original.shutdown();
      losePayloadFile(path, `t.${job.no}.0`);

      scheduler = new Scheduler({ logger: silent, store: CoordinatorStore.open({ path }) });
      expect(scheduler.restore()).toMatchObject({ jobs: 1, queued: 1 });
      await settle();
      const client = new RecordingJobSink();
      scheduler.attachJob(job.id, 0, client);
      const [lost] = client.results();
      expect(lost).toMatchObject({ seq: 0, outcome: { $case: 'failure', value: { kind: 'internal' } } });
      expect(lost!.outcome!.value).toMatchObject({ message: expect.stringMatching(/lost this task's input .*t\.\d+\.0 was not on disk.*Submit these items again/) });
      expect(scheduler.jobInfo(job.id)).toMatchObject({ tasksCompleted: 1, tasksFailed: 1 });
    });
  });

  it('fails a restored job whose stored results lost their file, naming it, rather than replay the rest and leave its client short', async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, 'db.sqlite');
      const store = CoordinatorStore.open({ path });
      const original = new Scheduler({ logger: silent, store });
      const agentSink = new RecordingAgentSink();
      const session = original.addSession({ acksWithAssign: false, name: 'a', capacity: capacity(), version: '0', runningAttemptIds: [] }, agentSink);
      // No client attached: the results stay stored until one attaches and confirms them.
      const job = original.openJob(opening(), new RecordingJobSink());
      original.addInputs(job, inputs(0, 2));
      original.endInput(job, 2);
      original.grantCredit(session, 2);
      await settle();
      const [big, small] = agentSink.assignments();
      original.handleResults(session, [{ ...value(big!.attemptId), outcome: { $case: 'value', value: Buffer.alloc(SPILL_BYTES + 1, 7) } }]);
      await settle();
      original.handleResults(session, [value(small!.attemptId)]);
      await waitUntil(() => original.jobInfo(job.id)?.state === 'completed');
      original.shutdown();
      losePayloadFile(path, `r.${job.no}.1`);

      scheduler = new Scheduler({ logger: silent, store: CoordinatorStore.open({ path }) });
      expect(scheduler.restore()).toMatchObject({ jobs: 0, finished: 1 });
      const client = new RecordingJobSink();
      expect(scheduler.attachJob(job.id, 0, client)).toBe('ended');
      expect(client.results()).toEqual([]);
      expect(client.end()).toMatchObject({ state: 'failed', message: expect.stringMatching(/lost results of this job .*r\.\d+\.1 not on disk.*Run the job again/) });
      expect(scheduler.jobInfo(job.id)).toMatchObject({ state: 'failed' });
    });
  });
});

/** As an OS crash can leave a store: the row committed, its one payload file (`name`) never written out. */
function losePayloadFile(path: string, name: string): void {
  expect(readdirSync(`${path}-payloads`)).toEqual([name]);
  rmSync(join(`${path}-payloads`, name));
}

/** Runs `body` with a fresh temp directory, removed afterwards whatever happens. */
async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-scheduler-test-'));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitUntil(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await after(10);
  }
}
