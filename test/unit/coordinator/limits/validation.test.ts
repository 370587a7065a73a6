// Message validation, property-based: valid OpenJob / Register messages are accepted; each way of
// breaking one is refused with INVALID_ARGUMENT naming the field (and the flag, for a configurable
// limit); fully arbitrary messages — and arbitrary bytes decoded as protobuf — never make the
// validation throw.
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveLimits, validateOpenJob, validateRegister, validateTaskInputs, boundAttemptResults, PrincipalQuotas } from '../../../../src/coordinator/limits/index.ts';
import { pb } from '../../../../src/protocol/index.ts';
import type { JobState } from '../../../../src/coordinator/JobState.ts';

const limits = resolveLimits({ maxNameLength: 64, maxLabels: 4, maxLabelKeyLength: 16, maxLabelValueLength: 16, maxRetries: 10, maxTimeoutMs: 60_000, maxUnschedulableWaitMs: 60_000, maxAgentSlots: 64, maxAgentCpus: 64, maxAgentMemoryMb: 65_536, maxRunningAttempts: 8 });

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const name = (max: number) => fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: max }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s));
const labelKey = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,15}$/);
const labels = fc.dictionary(labelKey, name(16), { maxKeys: 4 });
const resources = fc.dictionary(labelKey, fc.double({ min: 0, max: 1e6, noNaN: true }), { maxKeys: 4 });

const validOpen: fc.Arbitrary<pb.OpenJob> = fc.record({
  function: fc.record({ bundleDigest: hex64, exportName: name(64) }),
  name: fc.oneof(fc.constant(''), name(64)),
  requires: fc.option(fc.record({
    cpus: fc.integer({ min: 0, max: 64 }),
    memoryMb: fc.integer({ min: 0, max: 65_536 }),
    sumo: fc.constantFrom('', '*', '>=1.15', '>=1.15 <2'),
    labels,
    resources,
  }), { nil: undefined }),
  timeoutMs: fc.integer({ min: 0, max: 60_000 }),
  retries: fc.integer({ min: 0, max: 10 }),
  retryOnError: fc.boolean(),
  jobId: fc.oneof(fc.constant(''), fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,40}$/)),
  unschedulableWaitMs: fc.integer({ min: 0, max: 60_000 }),
  resultsBatchMax: fc.nat(),
});

/** Ways to break a valid OpenJob, each with the field its refusal must name. */
const breakOpen: [string, (o: pb.OpenJob) => void][] = [
  ['OpenJob.function', (o) => { o.function = undefined; }],
  ['OpenJob.function.bundle_digest', (o) => { o.function!.bundleDigest = o.function!.bundleDigest.toUpperCase() + 'x'; }],
  ['OpenJob.function.export_name', (o) => { o.function!.exportName = ''; }],
  ['OpenJob.function.export_name', (o) => { o.function!.exportName = 'x'.repeat(65); }],
  ['OpenJob.name', (o) => { o.name = 'a\u0000b'; }],
  ['OpenJob.name', (o) => { o.name = 'n'.repeat(65); }],
  ['OpenJob.timeout_ms', (o) => { o.timeoutMs = 2 ** 32 - 1; }],
  ['OpenJob.retries', (o) => { o.retries = 1_000_000_000; }],
  ['OpenJob.unschedulable_wait_ms', (o) => { o.unschedulableWaitMs = 60_001; }],
  ['OpenJob.job_id', (o) => { o.jobId = '../etc/passwd'; }],
  ['OpenJob.job_id', (o) => { o.jobId = 'j'.repeat(129); }],
  ['OpenJob.requires.cpus', (o) => { o.requires = { ...emptyRequires(), cpus: 65 }; }],
  ['OpenJob.requires.memory_mb', (o) => { o.requires = { ...emptyRequires(), memoryMb: 65_537 }; }],
  ['OpenJob.requires.sumo', (o) => { o.requires = { ...emptyRequires(), sumo: '>=banana' }; }],
  ['OpenJob.requires.labels', (o) => { o.requires = { ...emptyRequires(), labels: { a: '1', b: '2', c: '3', d: '4', e: '5' } }; }],
  ['OpenJob.requires.labels', (o) => { o.requires = { ...emptyRequires(), labels: { '../x': 'y' } }; }],
  ['OpenJob.requires.labels', (o) => { o.requires = { ...emptyRequires(), labels: { k: 'v'.repeat(17) } }; }],
  ['OpenJob.requires.resources', (o) => { o.requires = { ...emptyRequires(), resources: { gpu: -1 } }; }],
  ['OpenJob.requires.resources', (o) => { o.requires = { ...emptyRequires(), resources: { gpu: Number.NaN } }; }],
];

function emptyRequires(): pb.Requirements {
  return { cpus: 0, memoryMb: 0, sumo: '', labels: {}, resources: {} };
}

const capacity: fc.Arbitrary<pb.Capacity> = fc.record({
  cpus: fc.double({ min: 0, max: 64, noNaN: true }),
  memoryMb: fc.integer({ min: 0, max: 65_536 }),
  slots: fc.integer({ min: 0, max: 64 }),
  sumoVersion: fc.constantFrom('', '1.15.0'),
  sumoHome: fc.constantFrom('', '/usr/share/sumo'),
  labels,
  resources,
  hostname: name(64),
  platform: fc.constantFrom('linux', 'darwin'),
  nodeVersion: fc.constant('v24.0.0'),
  sumoTools: fc.boolean(),
  sumoTraci: fc.boolean(),
  sumoLibsumo: fc.boolean(),
});

const validRegister: fc.Arbitrary<pb.Register> = fc.record({
  name: name(64),
  capacity,
  version: fc.constantFrom('', '0.1.0'),
  runningAttemptIds: fc.array(fc.stringMatching(/^[A-Za-z0-9_.-]{1,32}$/), { maxLength: 8 }),
  acksWithAssign: fc.boolean(),
});

const breakRegister: [string, (r: pb.Register) => void][] = [
  ['Register.name', (r) => { r.name = ''; }],
  ['Register.name', (r) => { r.name = 'agent\n2'; }],
  ['Register.capacity', (r) => { r.capacity = undefined; }],
  ['Register.capacity.cpus', (r) => { r.capacity!.cpus = Number.POSITIVE_INFINITY; }],
  ['Register.capacity.cpus', (r) => { r.capacity!.cpus = 65; }],
  ['Register.capacity.memory_mb', (r) => { r.capacity!.memoryMb = 2 ** 52; }],
  ['Register.capacity.slots', (r) => { r.capacity!.slots = 2 ** 32 - 1; }],
  ['Register.capacity.labels', (r) => { r.capacity!.labels = { 'bad key': 'v' }; }],
  ['Register.capacity.resources', (r) => { r.capacity!.resources = { cpu: -5 }; }],
  ['Register.capacity.hostname', (r) => { r.capacity!.hostname = 'h'.repeat(65); }],
  ['Register.running_attempt_ids', (r) => { r.runningAttemptIds = Array.from({ length: 9 }, (_, i) => `a${i}`); }],
  ['Register.running_attempt_ids[0]', (r) => { r.runningAttemptIds = ['x'.repeat(129)]; }],
];

describe('message validation (property-based)', () => {
  it('accepts every valid OpenJob', () => {
    fc.assert(fc.property(validOpen, (open) => {
      expect(validateOpenJob(open, limits)).toBeUndefined();
    }), { numRuns: 500 });
  });

  it('refuses each way of breaking an OpenJob with INVALID_ARGUMENT naming the field', () => {
    fc.assert(
      fc.property(validOpen, fc.integer({ min: 0, max: breakOpen.length - 1 }), (open, which) => {
        const [field, breakIt] = breakOpen[which];
        breakIt(open);
        const violation = validateOpenJob(open, limits);
        expect(violation?.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(violation?.message).toContain(field);
      }),
      { numRuns: 1000 },
    );
  });

  it('names the limit and its flag when a configurable limit is passed', () => {
    const open = fc.sample(validOpen, 1)[0];
    open.retries = 11;
    expect(validateOpenJob(open, limits)?.message).toBe('OpenJob.retries is 11, over the limit of 10 (set with drover coordinator --max-retries)');
    open.retries = 0;
    open.timeoutMs = 60_001;
    expect(validateOpenJob(open, limits)?.message).toBe('OpenJob.timeout_ms is 60001 ms, over the limit of 60000 ms (set with drover coordinator --max-timeout-ms)');
  });

  it('accepts every valid Register and refuses each way of breaking one', () => {
    fc.assert(fc.property(validRegister, (register) => {
      expect(validateRegister(register, limits)).toBeUndefined();
    }), { numRuns: 500 });
    fc.assert(
      fc.property(validRegister, fc.integer({ min: 0, max: breakRegister.length - 1 }), (register, which) => {
        const [field, breakIt] = breakRegister[which];
        breakIt(register);
        const violation = validateRegister(register, limits);
        expect(violation?.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(violation?.message).toContain(field);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary bytes decoded as OpenJob or Register: a verdict or INVALID_ARGUMENT', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        let open: pb.OpenJob | undefined;
        let register: pb.Register | undefined;
        // Bytes protobuf cannot parse never reach validation (grpc-js refuses them first).
        try { open = pb.OpenJob.decode(bytes); } catch { /* not protobuf */ }
        try { register = pb.Register.decode(bytes); } catch { /* not protobuf */ }
        for (const violation of [open && validateOpenJob(open, limits), register && validateRegister(register, limits)]) {
          if (violation !== undefined) expect(violation.code).toBe(grpc.status.INVALID_ARGUMENT);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on arbitrary field values', () => {
    const anything = fc.record({
      function: fc.option(fc.record({ bundleDigest: fc.string(), exportName: fc.string() }), { nil: undefined }),
      name: fc.string(),
      requires: fc.option(fc.record({ cpus: fc.nat(), memoryMb: fc.maxSafeNat(), sumo: fc.string(), labels: fc.dictionary(fc.string(), fc.string()), resources: fc.dictionary(fc.string(), fc.double()) }), { nil: undefined }),
      timeoutMs: fc.nat(), retries: fc.nat(), retryOnError: fc.boolean(), jobId: fc.string(), unschedulableWaitMs: fc.nat(), resultsBatchMax: fc.nat(),
    });
    fc.assert(
      fc.property(anything, (open) => {
        const violation = validateOpenJob(open, limits);
        if (violation !== undefined) expect(violation.code).toBe(grpc.status.INVALID_ARGUMENT);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('task input bounds', () => {
  const task = (seq: number, firstIndex: number, items: number, bytes = 4): pb.TaskInput => ({ seq, payload: Buffer.alloc(bytes), items, firstIndex });
  const small = resolveLimits({ maxTaskBytes: 100, maxItemsPerTask: 10, maxItemsPerJob: 25 });

  it('accepts consecutive chunks within the limits', () => {
    expect(validateTaskInputs('j', [task(0, 0, 10), task(1, 10, 10), task(2, 20, 5)], small, 0)).toBeUndefined();
  });

  it('refuses an empty or oversized chunk, a gap and too many items, each with its status, but not an oversized payload', () => {
    // A payload over maxTaskBytes fails that task alone (Scheduler.addInputs), not the stream.
    expect(validateTaskInputs('j', [task(0, 0, 1, 101)], small, 0)).toBeUndefined();
    expect(validateTaskInputs('j', [task(0, 0, 0)], small, 0)?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(validateTaskInputs('j', [task(0, 0, 11)], small, 0)?.message).toContain('--max-items-per-task');
    expect(validateTaskInputs('j', [task(0, 0, 5), task(1, 4, 5)], small, 0)?.message).toContain('first_index is 4 but the chunks before end at item 5');
    expect(validateTaskInputs('j', [task(0, 20, 10)], small, undefined)).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, message: expect.stringContaining('--max-items-per-job') });
  });

  it('replaces a result over the limit by a typed failure and keeps the others as they are', () => {
    const ok: pb.AttemptResult = { attemptId: 'a1', outcome: { $case: 'value', value: Buffer.alloc(10) }, worker: 'w', durationMs: 1 };
    const big: pb.AttemptResult = { attemptId: 'a2', outcome: { $case: 'value', value: Buffer.alloc(101) }, worker: 'w', durationMs: 1 };
    const batch = [ok];
    expect(boundAttemptResults(batch, resolveLimits({ maxResultBytes: 100 }))).toBe(batch);
    const bounded = boundAttemptResults([ok, big], resolveLimits({ maxResultBytes: 100 }));
    expect(bounded[0]).toBe(ok);
    expect(bounded[1].outcome).toMatchObject({ $case: 'failure', value: { kind: 'error', code: 'DROVER_RESULT_TOO_LARGE', message: expect.stringContaining('--max-result-bytes') } });
  });
});

describe('per-principal quotas', () => {
  const job = (state: JobState['state'] = 'open', submitted = 0, completed = 0) => ({ state, tasksSubmitted: submitted, tasksCompleted: completed }) as JobState;

  it('counts open jobs per principal, forgets ended ones and leaves other principals alone', () => {
    const quotas = new PrincipalQuotas(resolveLimits({ maxOpenJobsPerPrincipal: 2 }));
    const a = job();
    quotas.add('alice', a);
    quotas.add('alice', job());
    expect(quotas.checkOpen('alice')).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, message: expect.stringContaining('--max-open-jobs-per-principal') });
    expect(quotas.checkOpen('bob')).toBeUndefined();
    a.state = 'completed';
    expect(quotas.checkOpen('alice')).toBeUndefined();
  });

  it('counts tasks submitted and not completed across a principal\'s open jobs', () => {
    const quotas = new PrincipalQuotas(resolveLimits({ maxQueuedTasksPerPrincipal: 100 }));
    quotas.add('alice', job('open', 60, 10));
    quotas.add('alice', job('open', 40, 0));
    quotas.add('alice', job('cancelled', 1000, 0));
    expect(quotas.checkInputs('alice', 10)).toBeUndefined();
    expect(quotas.checkInputs('alice', 11)).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, message: expect.stringContaining('--max-queued-tasks-per-principal') });
    expect(quotas.checkInputs('bob', 100)).toBeUndefined();
  });
});
