// decodeJobResponse reads what the generated decoder reads; result values are views, not copies.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { pb } from '../../../src/protocol/index.ts';
import { decodeJobResponse } from '../../../src/sdk/decodeJobResponse.ts';

const count = fc.oneof(fc.constant(0), fc.nat(), fc.maxSafeNat());
const failure = fc.record({
  kind: fc.constantFrom('', 'error', 'crashed'),
  name: fc.string(),
  message: fc.string({ unit: 'grapheme' }),
  stack: fc.string(),
  itemOffset: fc.nat({ max: 1000 }),
  exitCode: fc.integer({ min: -1, max: 255 }),
  signal: fc.constantFrom('', 'SIGKILL'),
  stderrTail: fc.string(),
  retryable: fc.boolean(),
  code: fc.string(),
});
const result = fc.record({
  seq: count,
  outcome: fc.oneof(
    fc.constant(undefined),
    fc.record({ $case: fc.constant('value' as const), value: fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)) }),
    fc.record({ $case: fc.constant('failure' as const), value: failure }),
  ),
  attempt: fc.nat({ max: 10 }),
  agent: fc.oneof(fc.constant(''), fc.string({ unit: 'grapheme' })),
  worker: fc.oneof(fc.constant(''), fc.string()),
  rseq: count,
});
const encode = (m: pb.JobResponse) => Buffer.from(pb.JobResponse.encode(m).finish());

it('decodes result batches as the generated decoder does', () => {
  fc.assert(
    fc.property(fc.array(result, { maxLength: 30 }), (results) => {
      const bytes = encode({ msg: { $case: 'results', value: { results } } });
      expect(decodeJobResponse(bytes)).toEqual(pb.JobResponse.decode(bytes));
    }),
    { numRuns: 300 },
  );
});

it('hands out values as views into the message', () => {
  const bytes = encode({ msg: { $case: 'results', value: { results: [{ seq: 7, outcome: { $case: 'value', value: Buffer.from([1, 2, 3]) }, attempt: 1, agent: 'a', worker: 'w', rseq: 1 }] } } });
  const decoded = decodeJobResponse(bytes);
  if (decoded.msg?.$case !== 'results' || decoded.msg.value.results[0]!.outcome?.$case !== 'value') throw new Error('not a value result');
  expect(decoded.msg.value.results[0]!.outcome.value.buffer).toBe(bytes.buffer);
});

it('decodes other messages, and truncated or unknown input, as the generated decoder does', () => {
  const others: pb.JobResponse[] = [
    { msg: { $case: 'opened', value: { jobId: 'j-1', tasksAccepted: 3, inputEnded: true } } },
    { msg: { $case: 'inputsAccepted', value: { tasksAccepted: 2 ** 40 } } },
    { msg: { $case: 'end', value: { state: 'completed', message: 'ok' } } },
  ];
  for (const m of others) expect(decodeJobResponse(encode(m))).toEqual(m);
  const batch = encode({ msg: { $case: 'results', value: { results: [{ seq: 1, outcome: { $case: 'value', value: Buffer.alloc(40, 9) }, attempt: 1, agent: 'agent', worker: 'w0', rseq: 1 }] } } });
  // Every truncation: the same result or the same failure as the generated decoder.
  for (let n = 1; n < batch.length; n++) {
    const cut = batch.subarray(0, n);
    let expected: unknown;
    try {
      expected = pb.JobResponse.decode(cut);
    } catch {
      expect(() => decodeJobResponse(cut)).toThrow();
      continue;
    }
    expect(decodeJobResponse(cut)).toEqual(expected);
  }
  // A field this version does not know (TaskResult field 15, varint) is read by the generated decoder.
  const unknown = Buffer.concat([Buffer.from([0x12, batch[1]! + 2]), batch.subarray(2, 3), Buffer.from([batch[3]! + 2]), batch.subarray(4), Buffer.from([0x78, 0x01])]);
  expect(decodeJobResponse(unknown)).toEqual(pb.JobResponse.decode(unknown));
});
