import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pb, serializeCoordinatorMessage } from '../../../src/protocol/index.ts';

const generated = (m: pb.CoordinatorMessage): Buffer => Buffer.from(pb.CoordinatorMessage.encode(m).finish());

// A few function references and job ids shared by many assignments and messages, as the scheduler passes
// them (one object per job): the encoder caches their bytes by identity and by value.
const functions: pb.FunctionRef[] = [
  { bundleDigest: 'a'.repeat(64), exportName: 'square' },
  { bundleDigest: '', exportName: 'ünïcødé ✓ 𝄞' },
  { bundleDigest: 'b'.repeat(64), exportName: '' },
];
const uint = fc.oneof(fc.constant(0), fc.nat(), fc.constant(2 ** 32), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const text = fc.oneof(fc.constant(''), fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('job-1', 'jöb-2'));
const assignment: fc.Arbitrary<pb.Assignment> = fc.record({
  attemptId: text,
  jobId: text,
  seq: uint,
  attempt: fc.nat({ max: 2 ** 32 - 1 }),
  function: fc.option(fc.oneof(fc.constantFrom(...functions), fc.record({ bundleDigest: text, exportName: text })), { nil: undefined }),
  payload: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  items: fc.nat({ max: 2 ** 32 - 1 }),
  timeoutMs: fc.nat({ max: 2 ** 32 - 1 }),
  slots: fc.nat({ max: 64 }),
  firstIndex: uint,
  resultWaitMs: fc.nat({ max: 2 ** 32 - 1 }),
});
const assign = fc
  .record({ tasks: fc.array(assignment, { maxLength: 12 }), acceptedAttemptIds: fc.array(text, { maxLength: 6 }) })
  .map((value): pb.CoordinatorMessage => ({ msg: { $case: 'assign', value } }));

describe('serializeCoordinatorMessage', () => {
  it('writes exactly the bytes of the generated encoder for assignments, message after message', () => {
    fc.assert(
      fc.property(fc.array(assign, { minLength: 1, maxLength: 5 }), (messages) => {
        for (const m of messages) expect(serializeCoordinatorMessage(m).equals(generated(m))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('encodes the other messages with the generated encoder', () => {
    const others: pb.CoordinatorMessage[] = [
      { msg: { $case: 'registered', value: { sessionId: 's-1', heartbeatMs: 5000, creditWithResults: true } } },
      { msg: { $case: 'resultsAccepted', value: { attemptIds: ['a', 'b'] } } },
      { msg: { $case: 'cancel', value: { attemptIds: ['c'] } } },
      { msg: undefined },
    ];
    for (const m of others) expect(serializeCoordinatorMessage(m).equals(generated(m))).toBe(true);
  });

  it('round-trips a batch through the generated decoder', () => {
    const m: pb.CoordinatorMessage = {
      msg: {
        $case: 'assign',
        value: {
          tasks: [{ attemptId: 'b1.x', jobId: 'j', seq: 7, attempt: 1, function: functions[0], payload: Buffer.from([1, 2, 3]), items: 1, timeoutMs: 0, slots: 1, firstIndex: 2 ** 40, resultWaitMs: 10 }],
          acceptedAttemptIds: ['b1.w'],
        },
      },
    };
    expect(pb.CoordinatorMessage.decode(serializeCoordinatorMessage(m))).toEqual(m);
  });
});
