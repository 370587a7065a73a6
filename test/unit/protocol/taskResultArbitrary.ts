import fc from 'fast-check';
import type { pb } from '../../../src/protocol/index.ts';

const uint = fc.oneof(fc.constant(0), fc.nat(), fc.constant(2 ** 32), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const text = fc.oneof(fc.constant(''), fc.string(), fc.constantFrom('agent-1', 'wörker ✓'));
const failure: fc.Arbitrary<pb.TaskFailure> = fc.record({
  kind: text,
  name: text,
  message: text,
  stack: fc.string({ maxLength: 400 }),
  itemOffset: fc.nat({ max: 2 ** 32 - 1 }),
  exitCode: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  signal: text,
  stderrTail: text,
  retryable: fc.boolean(),
  code: text,
});
const outcome: fc.Arbitrary<pb.TaskResult['outcome']> = fc.oneof(
  // Values from empty to a few KiB: lengths whose varints take one, two and more bytes.
  fc.uint8Array({ maxLength: 5000 }).map((b) => ({ $case: 'value' as const, value: Buffer.from(b) })),
  failure.map((value) => ({ $case: 'failure' as const, value })),
  fc.constant(undefined),
);
/** Any `TaskResult`: values of 0 to ~5 KB (one- to two-byte length varints), failures, no outcome; ids past 2^32. */
export const taskResult: fc.Arbitrary<pb.TaskResult> = fc.record({ seq: uint, outcome, attempt: fc.nat({ max: 2 ** 32 - 1 }), agent: text, worker: text, rseq: uint });

