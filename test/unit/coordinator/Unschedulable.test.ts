import { afterEach, describe, expect, it, vi } from 'vitest';
import type { pb } from '../../../src/protocol/index.ts';
import type { AgentSession } from '../../../src/coordinator/AgentSession.ts';
import { Scheduler, type JobOpening } from '../../../src/coordinator/Scheduler.ts';
import { CoordinatorStore } from '../../../src/coordinator/store/CoordinatorStore.ts';
import { after, capacity, inputs, opening, RecordingAgentSink, RecordingJobSink, settle, silent } from './schedulerHarness.ts';

let scheduler: Scheduler | undefined;
afterEach(() => {
  scheduler?.shutdown();
  scheduler = undefined;
});

function setup(options: { agentGraceMs?: number; store?: CoordinatorStore } = {}) {
  const s = new Scheduler({ logger: silent, agentGraceMs: 5000, ...options });
  scheduler = s;
  const openJob = (overrides: Partial<JobOpening> = {}) => {
    const sink = new RecordingJobSink();
    return { job: s.openJob(opening(overrides), sink), sink };
  };
  const addAgent = (name: string, cap: Partial<pb.Capacity> = {}): { session: AgentSession; sink: RecordingAgentSink } => {
    const sink = new RecordingAgentSink();
    const session = s.addSession({ acksWithAssign: false, name, capacity: capacity(cap), version: '0', runningAttemptIds: [] }, sink);
    s.grantCredit(session, 100);
    return { session, sink };
  };
  return { s, openJob, addAgent };
}

const requires = (overrides: Partial<pb.Requirements>): pb.Requirements => ({ cpus: 0, memoryMb: 0, sumo: '', labels: {}, resources: {}, ...overrides });

function failures(sink: RecordingJobSink): pb.TaskFailure[] {
  return sink.results().flatMap((r) => (r.outcome?.$case === 'failure' ? [r.outcome.value] : []));
}

describe('Scheduler: unschedulable requirements', () => {
  it('fails the queued tasks at once (wait 0) when no connected agent could ever run them, naming the requirement and the offers', async () => {
    const { s, openJob, addAgent } = setup();
    const old = addAgent('agent-1', { sumoVersion: '1.15.0', slots: 4, memoryMb: 7782, labels: { zone: 'eu' } });
    const none = addAgent('agent-2', { slots: 2, memoryMb: 2048 });
    const { job, sink } = openJob({ requires: requires({ sumo: '>=1.16' }) });
    s.addInputs(job, inputs(0, 3));
    s.endInput(job, 3);
    await settle();

    const results = sink.results();
    expect(results.map((r) => [r.seq, r.rseq, r.attempt])).toEqual([[0, 1, 0], [1, 2, 0], [2, 3, 0]]);
    const [first] = failures(sink);
    expect(failures(sink).every((f) => f.kind === 'unschedulable' && f.name === 'UnschedulableError')).toBe(true);
    expect(first.message).toBe(
      'no connected agent satisfies requires {sumo: ">=1.16"}: agent-1 offers sumo 1.15.0, 4 slots, 7.6 GiB, labels {zone=eu}; agent-2 offers no sumo, 2 slots, 2.0 GiB',
    );
    expect(sink.end()).toEqual({ state: 'completed', message: '' });
    expect(old.sink.assignments()).toHaveLength(0);
    expect(none.sink.assignments()).toHaveLength(0);
    expect(s.jobInfo(job.id)).toMatchObject({ state: 'completed', tasksCompleted: 3, tasksFailed: 3 });
  });

  it('names each unmet requirement (cpus beyond slots, memory, labels, resources) but not the ones every agent meets', async () => {
    const { s, openJob, addAgent } = setup();
    addAgent('small', { slots: 2, memoryMb: 4096, labels: { zone: 'eu' } });
    addAgent('big', { slots: 8, memoryMb: 1024, resources: { licence: 1 } });
    const { job, sink } = openJob({ requires: requires({ cpus: 4, memoryMb: 2048, labels: { zone: 'eu' }, resources: { licence: 2 }, sumo: '' }) });
    s.addInputs(job, inputs(0, 1));
    await settle();
    const [f] = failures(sink);
    expect(f.kind).toBe('unschedulable');
    expect(f.message).toMatch(/^no connected agent satisfies requires \{cpus: 4, memoryMb: 2048, labels: \{zone: "eu"\}, resources: \{licence: 2\}\}: /);
    expect(f.message).toContain('small offers no sumo, 2 slots, 4.0 GiB, labels {zone=eu}, no resources');
    expect(f.message).toContain('big offers no sumo, 8 slots, 1.0 GiB, no labels, resources {licence=1}');

    // A requirement one agent meets on its own is not the problem: only the unmet ones are named.
    const other = openJob({ requires: requires({ cpus: 4, memoryMb: 512, labels: { zone: 'eu' } }) });
    s.addInputs(other.job, inputs(0, 1));
    await settle();
    expect(failures(other.sink)[0].message).toMatch(/^no connected agent satisfies requires \{cpus: 4, labels: \{zone: "eu"\}\}: /);
  });

  it('summarises many agents in a bounded message', async () => {
    const { s, openJob, addAgent } = setup();
    for (let i = 0; i < 300; i++) addAgent(`agent-${i}`, { slots: 1 + (i % 40), memoryMb: 1024 });
    const { job, sink } = openJob({ requires: requires({ sumo: '*' }) });
    s.addInputs(job, inputs(0, 1));
    await settle();
    const [f] = failures(sink);
    expect(f.message.length).toBeLessThanOrEqual(1500);
    expect(f.message).toMatch(/^no connected agent satisfies requires \{sumo: true\}: agent-0, agent-40, agent-80 and 5 more offer no sumo, 1 slot, 1.0 GiB; /);
    expect(f.message).toMatch(/; \d+ other agents offer other combinations$/);
  });

  it('lets tasks queue while no agent is connected, and fails them when an unsuitable one joins', async () => {
    const { s, openJob, addAgent } = setup();
    const { job, sink } = openJob({ requires: requires({ sumo: '*' }) });
    s.addInputs(job, inputs(0, 2));
    await after(30);
    expect(sink.results()).toHaveLength(0);
    expect(s.stats().tasksQueued).toBe(2);
    addAgent('plain');
    await settle();
    expect(failures(sink).map((f) => f.kind)).toEqual(['unschedulable', 'unschedulable']);
  });

  it('waits unschedulableWaitMs and runs the tasks when a suitable agent joins within it', async () => {
    const { s, openJob, addAgent } = setup();
    addAgent('plain');
    const { job, sink } = openJob({ requires: requires({ sumo: '>=1.15' }), unschedulableWaitMs: 150 });
    s.addInputs(job, inputs(0, 2));
    await after(60);
    expect(sink.results()).toHaveLength(0);
    const sumo = addAgent('sumo', { sumoVersion: '1.15.0' });
    await settle();
    expect(sumo.sink.assignments().map((t) => t.seq)).toEqual([0, 1]);
    await after(150);
    expect(sink.results()).toHaveLength(0);
  });

  it('fails them when the wait ends without a suitable agent, and later tasks of the job at once', async () => {
    const { s, openJob, addAgent } = setup();
    addAgent('plain');
    const { job, sink } = openJob({ requires: requires({ labels: { zone: 'eu' } }), unschedulableWaitMs: 120 });
    const started = Date.now();
    s.addInputs(job, inputs(0, 2));
    await after(60);
    expect(sink.results()).toHaveLength(0);
    await waitUntil(() => sink.results().length === 2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    expect(failures(sink)[0].message).toBe('no connected agent satisfies requires {labels: {zone: "eu"}}: plain offers no sumo, 4 slots, 8.0 GiB, no labels (waited 120 ms for one to join)');
    // The wait is over: more input fails without waiting again.
    s.addInputs(job, inputs(2, 1));
    await settle();
    expect(sink.results().map((r) => r.seq)).toEqual([0, 1, 2]);
  });

  it('starts the wait when the only suitable agent leaves; a broken connection counts until its grace ends', async () => {
    const { s, openJob, addAgent } = setup({ agentGraceMs: 100 });
    addAgent('plain');
    const eu = addAgent('eu', { labels: { zone: 'eu' }, slots: 1 });
    const { job, sink } = openJob({ requires: requires({ labels: { zone: 'eu' } }) });
    eu.session.credit = 0;
    s.addInputs(job, inputs(0, 2));
    await settle();
    expect(sink.results()).toHaveLength(0);

    // Its connection breaks: it may be back within the grace, so nothing fails yet.
    s.removeSession(eu.session, 'connection lost');
    await after(40);
    expect(sink.results()).toHaveLength(0);
    await waitUntil(() => sink.results().length === 2);
    expect(failures(sink)[0].message).toMatch(/^no connected agent satisfies requires \{labels: \{zone: "eu"\}\}: plain offers/);
  });

  it('fails at once when the only suitable agent leaves on purpose (closes its stream)', async () => {
    const { s, openJob, addAgent } = setup({ agentGraceMs: 10_000 });
    addAgent('plain');
    const eu = addAgent('eu', { labels: { zone: 'eu' } });
    eu.session.credit = 0;
    const { job, sink } = openJob({ requires: requires({ labels: { zone: 'eu' } }) });
    s.addInputs(job, inputs(0, 1));
    await settle();
    expect(sink.results()).toHaveLength(0);
    s.removeSession(eu.session, 'the agent closed its stream', { left: true });
    await settle();
    expect(failures(sink).map((f) => f.kind)).toEqual(['unschedulable']);
  });

  it('does not count draining agents: with only those connected, tasks queue', async () => {
    const { s, openJob, addAgent } = setup();
    const eu = addAgent('eu', { labels: { zone: 'eu' } });
    eu.session.credit = 0;
    const { job, sink } = openJob({ requires: requires({ labels: { zone: 'eu' } }) });
    s.addInputs(job, inputs(0, 1));
    await settle();
    s.drainSession(eu.session.sessionId);
    await after(20);
    expect(sink.results()).toHaveLength(0);
    addAgent('plain');
    await settle();
    expect(failures(sink).map((f) => f.kind)).toEqual(['unschedulable']);
    expect(failures(sink)[0].message).not.toContain('eu offers');
  });

  it('after a restart that restored jobs, gives agents agentGraceMs to reconnect before failing anything', async () => {
    const store = CoordinatorStore.open();
    const original = new Scheduler({ logger: silent, store });
    const job = original.openJob(opening({ requires: requires({ sumo: '*' }) }), new RecordingJobSink());
    original.addInputs(job, inputs(0, 2));
    await settle();
    const close = store.close.bind(store);
    store.close = () => {};
    original.shutdown();
    store.close = close;

    const { s, addAgent } = setup({ store, agentGraceMs: 150 });
    s.restore();
    const client = new RecordingJobSink();
    s.attachJob(job.id, 0, client);
    addAgent('plain');
    await after(50);
    expect(client.results()).toHaveLength(0);
    // The SUMO agent is back within the grace: the tasks run.
    const sumo = addAgent('sumo', { sumoVersion: '1.15.0' });
    await settle();
    expect(sumo.sink.assignments().map((t) => t.seq)).toEqual([0, 1]);
  });

  it('fails restored tasks once the restart grace is over without a suitable agent', async () => {
    const store = CoordinatorStore.open();
    const original = new Scheduler({ logger: silent, store });
    const job = original.openJob(opening({ requires: requires({ sumo: '*' }) }), new RecordingJobSink());
    original.addInputs(job, inputs(0, 1));
    await settle();
    const close = store.close.bind(store);
    store.close = () => {};
    original.shutdown();
    store.close = close;

    const { s, addAgent } = setup({ store, agentGraceMs: 80 });
    s.restore();
    const client = new RecordingJobSink();
    s.attachJob(job.id, 0, client);
    addAgent('plain');
    await after(20);
    expect(client.results()).toHaveLength(0);
    await waitUntil(() => client.results().length === 1);
    expect(failures(client)[0].kind).toBe('unschedulable');
  });

  it('waits a wait longer than setTimeout allows without spinning', async () => {
    const { s, openJob, addAgent } = setup();
    addAgent('plain');
    const { job, sink } = openJob({ requires: requires({ sumo: '*' }), unschedulableWaitMs: 4_000_000_000 });
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      s.addInputs(job, inputs(0, 1));
      await after(100);
      const armed = timers.mock.calls.filter(([, ms]) => typeof ms === 'number' && ms > 1_000_000);
      expect(armed).toHaveLength(1);
      expect(timers.mock.calls.length).toBeLessThan(40);
      expect(sink.results()).toHaveLength(0);
    } finally {
      timers.mockRestore();
    }
  });

  it('keeps serving a satisfiable job while another fails as unschedulable', async () => {
    const { s, openJob, addAgent } = setup();
    const plain = addAgent('plain');
    const good = openJob();
    const bad = openJob({ requires: requires({ cpus: 16 }) });
    s.addInputs(good.job, inputs(0, 3));
    s.addInputs(bad.job, inputs(0, 3));
    await settle();
    expect(plain.sink.assignments().map((t) => t.jobId)).toEqual([good.job.id, good.job.id, good.job.id]);
    expect(failures(bad.sink).map((f) => f.kind)).toEqual(['unschedulable', 'unschedulable', 'unschedulable']);
    expect(failures(bad.sink)[0].message).toMatch(/^no connected agent satisfies requires \{cpus: 16\}: plain offers no sumo, 4 slots/);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await after(5);
  }
}
