// Coordinator metrics: gauges read from the scheduler at scrape time, and the per-result figures
// (results, failures by kind, queue-wait and run-time histograms) the scheduler reports.
import { afterEach, describe, expect, it } from 'vitest';
import { CoordinatorMetrics } from '../../../src/coordinator/http/CoordinatorMetrics.ts';
import { Scheduler } from '../../../src/coordinator/Scheduler.ts';
import { capacity, failed, inputs, opening, RecordingAgentSink, RecordingJobSink, settle, silent, value } from './schedulerHarness.ts';

let scheduler: Scheduler | undefined;
afterEach(() => scheduler?.shutdown());

/** The value of one sample line (`name{labels} value`) in a Prometheus text exposition. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('CoordinatorMetrics', () => {
  it('reports queue depth per job and requirement class, slots, results, failures by kind and latency histograms', async () => {
    const metrics = new CoordinatorMetrics();
    scheduler = new Scheduler({ logger: silent, metrics });
    metrics.readFrom(scheduler);
    const agentSink = new RecordingAgentSink();
    const session = scheduler.addSession({ acksWithAssign: false, name: 'a1', capacity: capacity({ slots: 4 }), version: '0', runningAttemptIds: [] }, agentSink);
    const plain = scheduler.openJob(opening({ name: 'plain', retries: 0 }), new RecordingJobSink());
    const sumo = scheduler.openJob(
      opening({ name: 'sumo', unschedulableWaitMs: 60_000, requires: { cpus: 2, memoryMb: 0, sumo: '>=1.15', labels: { zone: 'eu' }, resources: {} } }),
      new RecordingJobSink(),
    );
    scheduler.addInputs(plain, inputs(0, 5));
    scheduler.addInputs(sumo, inputs(0, 3));
    await settle();

    let text = await metrics.text();
    expect(sample(text, 'drover_agents')).toBe(1);
    expect(sample(text, 'drover_slots')).toBe(4);
    expect(sample(text, 'drover_slots_free')).toBe(4);
    expect(sample(text, 'drover_tasks_queued')).toBe(8);
    expect(sample(text, `drover_job_tasks_queued{job="${plain.id}",name="plain"}`)).toBe(5);
    expect(sample(text, `drover_job_tasks_queued{job="${sumo.id}",name="sumo"}`)).toBe(3);
    expect(sample(text, 'drover_requirement_tasks_queued{requires="any"}')).toBe(5);
    // The sumo job needs a SUMO agent: it stays queued under its own class.
    expect(sample(text, 'drover_requirement_tasks_queued{requires="cpus=2,sumo=>=1.15,label:zone=eu"}')).toBe(3);
    expect(sample(text, 'drover_task_run_seconds_count')).toBe(0);

    scheduler.grantCredit(session, 3);
    await settle();
    const attempts = agentSink.assignments().map((a) => a.attemptId);
    expect(attempts).toHaveLength(3);
    text = await metrics.text();
    expect(sample(text, 'drover_tasks_running')).toBe(3);
    expect(sample(text, 'drover_slots_free')).toBe(1);

    scheduler.handleResults(session, [value(attempts[0]!), failed(attempts[1]!, 'error'), failed(attempts[2]!, 'timeout')]);
    await settle();
    text = await metrics.text();
    expect(sample(text, 'drover_tasks_completed_total')).toBe(3);
    expect(sample(text, 'drover_task_failures_total{kind="error"}')).toBe(1);
    expect(sample(text, 'drover_task_failures_total{kind="timeout"}')).toBe(1);
    expect(sample(text, 'drover_task_run_seconds_count')).toBe(3);
    expect(sample(text, 'drover_task_queue_wait_seconds_count')).toBe(3);
    expect(sample(text, 'drover_task_run_seconds_bucket{le="+Inf"}')).toBe(3);
    expect(sample(text, 'drover_task_run_seconds_bucket{le="3600"}')).toBe(3);
    expect(sample(text, 'drover_task_run_seconds_sum')).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/# TYPE drover_task_run_seconds histogram/);
    expect(sample(text, `drover_job_tasks_queued{job="${plain.id}",name="plain"}`)).toBe(2);
    expect(plain.info().failuresByKind).toEqual({ error: 1, timeout: 1 });

    // The same figures as JSON (the base class's get() is built on what this class records).
    const json = await metrics.registry.getMetricsAsJSON();
    const run = json.find((m) => m.name === 'drover_task_run_seconds');
    expect(run?.values.find((v) => v.labels.le === '+Inf')?.value).toBe(3);
  });

  it('counts failure kinds it does not know as "other": an agent cannot add label values without bound', async () => {
    const metrics = new CoordinatorMetrics();
    scheduler = new Scheduler({ logger: silent, metrics });
    const agentSink = new RecordingAgentSink();
    const session = scheduler.addSession({ acksWithAssign: false, name: 'a1', capacity: capacity({ slots: 4 }), version: '0', runningAttemptIds: [] }, agentSink);
    const job = scheduler.openJob(opening({ name: 'j', retries: 0 }), new RecordingJobSink());
    scheduler.addInputs(job, inputs(0, 4));
    scheduler.grantCredit(session, 4);
    await settle();
    const attempts = agentSink.assignments().map((a) => a.attemptId);
    expect(attempts).toHaveLength(4);
    scheduler.handleResults(session, [failed(attempts[0]!, 'made-up-1'), failed(attempts[1]!, 'x'.repeat(10_000)), failed(attempts[2]!, 'oom'), failed(attempts[3]!, '')]);
    await settle();
    const text = await metrics.text();
    const kinds = text.split('\n').filter((l) => l.startsWith('drover_task_failures_total{'));
    expect(kinds.sort()).toEqual(['drover_task_failures_total{kind="oom"} 1', 'drover_task_failures_total{kind="other"} 2', 'drover_task_failures_total{kind="unknown"} 1']);
  });

  it('reads zero before it is given a source', async () => {
    const text = await new CoordinatorMetrics().text();
    expect(sample(text, 'drover_agents')).toBe(0);
    expect(sample(text, 'drover_tasks_queued')).toBe(0);
  });
});
