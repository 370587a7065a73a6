// A task over the coordinator's --max-task-bytes fails alone: its job (an apply session with other
// calls in flight, say) goes on, and its payload is never stored.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TASK_TOO_LARGE_CODE } from '../../../src/protocol/index.ts';
import { Scheduler } from '../../../src/coordinator/Scheduler.ts';
import { CoordinatorStore, SPILL_BYTES } from '../../../src/coordinator/store/CoordinatorStore.ts';
import { capacity, inputs, opening, RecordingAgentSink, RecordingJobSink, settle, silent, value } from './schedulerHarness.ts';

let scheduler: Scheduler | undefined;
let dir: string | undefined;
afterEach(() => {
  scheduler?.shutdown();
  scheduler = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A scheduler over a file store whose tasks may be `maxTaskBytes` (a payload over SPILL_BYTES would go to a file). */
function setup(maxTaskBytes: number) {
  dir = mkdtempSync(join(tmpdir(), 'drover-oversized-test-'));
  const path = join(dir, 'coordinator.db');
  const store = CoordinatorStore.open({ path });
  const s = new Scheduler({ logger: silent, store, maxTaskBytes });
  scheduler = s;
  const agent = new RecordingAgentSink();
  const session = s.addSession({ acksWithAssign: false, name: 'agent-1', capacity: capacity(), version: '0', runningAttemptIds: [] }, agent);
  const client = new RecordingJobSink();
  const job = s.openJob(opening(), client);
  return { s, store, path, session, agent, client, job };
}

describe('Scheduler: tasks over --max-task-bytes', () => {
  it('fails only the oversized task, at once, with a failure that names its size, the limit and the flag; the rest of the job runs', async () => {
    const limit = SPILL_BYTES * 2;
    const { s, path, session, agent, client, job } = setup(limit);
    const batch = inputs(0, 3);
    batch[1] = { ...inputs(1, 1, limit + 1)[0], items: 2, firstIndex: 1 };
    batch[2] = { ...batch[2], firstIndex: 3 };
    s.addInputs(job, batch);
    s.endInput(job, 3);
    s.grantCredit(session, 10);
    await settle();

    // Never sent to an agent: the other two are.
    expect(agent.assignments().map((a) => a.seq)).toEqual([0, 2]);
    // Its failure goes to the client as any task's final result, the job stays open.
    expect(client.results()).toHaveLength(1);
    expect(client.results()[0]).toMatchObject({ seq: 1, agent: '', worker: '', rseq: 1 });
    const outcome = client.results()[0].outcome;
    expect(outcome?.$case).toBe('failure');
    const failure = outcome?.$case === 'failure' ? outcome.value : undefined;
    expect(failure).toMatchObject({ kind: 'error', name: 'TaskTooLargeError', code: TASK_TOO_LARGE_CODE, retryable: false });
    expect(failure?.message).toBe(
      `task 1 of job ${job.id} (items 1–2) is ${limit + 1} bytes, over the limit of ${limit} bytes a task may be on this coordinator ` +
        '(set with drover coordinator --max-task-bytes). Send large data as a file: `const { digest } = await pool.uploadFile(path)` ' +
        'in the script, `await context.fetchBlob(digest)` in the task.',
    );
    expect(client.end()).toBeUndefined();
    // Its payload was not kept: no payload file, though it is over the size that would spill to one.
    expect(readdirSync(`${path}-payloads`)).toEqual([]);

    s.handleResults(session, agent.assignments().map((a) => value(a.attemptId)));
    await settle();
    expect(client.results().map((r) => r.seq)).toEqual([1, 0, 2]);
    expect(client.end()).toEqual({ state: 'completed', message: '' });
    expect(s.jobInfo(job.id)).toMatchObject({ state: 'completed', tasksSubmitted: 3, tasksCompleted: 3, tasksFailed: 1 });
  });

  it('keeps the refusal across a restart, as any final result, and queues nothing for it', async () => {
    const { s, store, path, job } = setup(100);
    s.addInputs(job, [...inputs(0, 1), ...inputs(1, 1, 101)]);
    await settle();
    // Stop without closing the store (as a crash would leave it), then restore from it.
    const close = store.close.bind(store);
    store.close = () => {};
    s.shutdown();
    store.close = close;

    scheduler = new Scheduler({ logger: silent, store, maxTaskBytes: 100, agentGraceMs: 5000 });
    expect(scheduler.restore()).toMatchObject({ jobs: 1, queued: 1, running: 0 });
    const client = new RecordingJobSink();
    scheduler.attachJob(job.id, 0, client);
    expect(client.results()).toMatchObject([{ seq: 1, rseq: 1, outcome: { $case: 'failure', value: { code: TASK_TOO_LARGE_CODE } } }]);
    expect(readdirSync(`${path}-payloads`)).toEqual([]);
  });

  it('lets a task of exactly the limit through', async () => {
    const { s, session, agent, client, job } = setup(100);
    s.addInputs(job, inputs(0, 1, 100));
    s.grantCredit(session, 1);
    await settle();
    expect(agent.assignments().map((a) => a.seq)).toEqual([0]);
    expect(client.results()).toEqual([]);
  });
});
