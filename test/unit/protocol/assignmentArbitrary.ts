import fc from 'fast-check';
import type { pb } from '../../../src/protocol/index.ts';

// A few function references and job ids shared by many assignments and messages, as the scheduler passes
// them (one object per job): the encoder caches their bytes by identity and by value.
export const functions: pb.FunctionRef[] = [
  { bundleDigest: 'a'.repeat(64), exportName: 'square' },
  { bundleDigest: '', exportName: 'ünïcødé ✓ 𝄞' },
  { bundleDigest: 'b'.repeat(64), exportName: '' },
];
const uint = fc.oneof(fc.constant(0), fc.nat(), fc.constant(2 ** 32), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const text = fc.oneof(fc.constant(''), fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('job-1', 'jöb-2'));
export const assignment: fc.Arbitrary<pb.Assignment> = fc.record({
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
/** An `assign` message: up to 12 assignments (some sharing a job id and function) and up to 6 acknowledged ids. */
export const assign = fc
  .record({ tasks: fc.array(assignment, { maxLength: 12 }), acceptedAttemptIds: fc.array(text, { maxLength: 6 }) })
  .map((value): pb.CoordinatorMessage => ({ msg: { $case: 'assign', value } }));
