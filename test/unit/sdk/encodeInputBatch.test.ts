// encodeInputBatch writes exactly what the generated encoder writes, and decodes back to the same tasks.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { pb } from '../../../src/protocol/index.ts';
import { encodeInputBatch } from '../../../src/sdk/encodeInputBatch.ts';

const task = fc.record({
  // Up to 2^53 - 1: uint64 fields past 2^32 take the division path of the varint writer.
  seq: fc.oneof(fc.constant(0), fc.nat(), fc.maxSafeNat()),
  payload: fc.oneof(fc.uint8Array({ maxLength: 0 }), fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 16_000, maxLength: 17_000 })),
  items: fc.oneof(fc.constant(0), fc.nat({ max: 100_000 })),
  firstIndex: fc.oneof(fc.constant(0), fc.nat(), fc.maxSafeNat()),
});

it('is byte for byte the generated JobRequest encoding', () => {
  fc.assert(
    fc.property(fc.array(task, { maxLength: 40 }), (tasks) => {
      const inputs = tasks.map((t) => ({ ...t, payload: Buffer.from(t.payload) }));
      const expected = pb.JobRequest.encode({ msg: { $case: 'inputs', value: { tasks: inputs } } }).finish();
      const actual = encodeInputBatch(inputs);
      expect(Buffer.compare(actual, expected)).toBe(0);
      const decoded = pb.JobRequest.decode(actual);
      expect(decoded.msg?.$case).toBe('inputs');
      if (decoded.msg?.$case !== 'inputs') return;
      expect(decoded.msg.value.tasks.map((t) => [t.seq, Buffer.from(t.payload).toString('hex'), t.items, t.firstIndex])).toEqual(
        inputs.map((t) => [t.seq, t.payload.toString('hex'), t.items, t.firstIndex]),
      );
    }),
    { numRuns: 300 },
  );
});

it('encodes a batch larger than the sizes a one-byte length can say', () => {
  const inputs = Array.from({ length: 600 }, (_, i) => ({ seq: i + 2 ** 40, payload: Buffer.alloc(700, i), items: 100, firstIndex: i * 100 }));
  const expected = pb.JobRequest.encode({ msg: { $case: 'inputs', value: { tasks: inputs } } }).finish();
  expect(Buffer.compare(encodeInputBatch(inputs), expected)).toBe(0);
});
