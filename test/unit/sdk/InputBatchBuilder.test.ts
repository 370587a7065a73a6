// InputBatchBuilder writes exactly what the generated encoder writes, batch after batch on one builder.
// finish() returns a view valid until the next add(): the tests copy it out, as JobStream's replay buffer does.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { pb } from '../../../src/protocol/index.ts';
import { InputBatchBuilder } from '../../../src/sdk/InputBatchBuilder.ts';

const task = fc.record({
  // Up to 2^53 - 1: uint64 fields past 2^32 take the division path of the varint writer.
  seq: fc.oneof(fc.constant(0), fc.nat(), fc.maxSafeNat()),
  payload: fc.oneof(fc.uint8Array({ maxLength: 0 }), fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 5_000, maxLength: 20_000 })),
  items: fc.oneof(fc.constant(0), fc.nat({ max: 100_000 })),
  firstIndex: fc.oneof(fc.constant(0), fc.nat(), fc.maxSafeNat()),
});

const generated = (tasks: pb.TaskInput[]) => pb.JobRequest.encode({ msg: { $case: 'inputs', value: { tasks } } }).finish();

it('encodes each batch byte for byte as the generated JobRequest encoder, and keeps earlier batches intact', () => {
  fc.assert(
    fc.property(fc.array(fc.array(task, { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 5 }), (batches) => {
      const builder = new InputBatchBuilder();
      const sent: { bytes: Buffer; tasks: pb.TaskInput[] }[] = [];
      for (const batch of batches) {
        const tasks = batch.map((t) => ({ ...t, payload: Buffer.from(t.payload) }));
        for (const t of tasks) builder.add(t.seq, t.payload, t.items, t.firstIndex);
        expect(builder.tasks).toBe(tasks.length);
        expect(builder.payloadBytes).toBe(tasks.reduce((n, t) => n + t.payload.length, 0));
        sent.push({ bytes: Buffer.from(builder.finish()), tasks });
        expect(builder.tasks).toBe(0);
        expect(builder.payloadBytes).toBe(0);
      }
      for (const { bytes, tasks } of sent) {
        expect(Buffer.compare(bytes, generated(tasks))).toBe(0);
        const decoded = pb.JobRequest.decode(bytes);
        expect(decoded.msg?.$case === 'inputs' && decoded.msg.value.tasks.map((t) => t.seq)).toEqual(tasks.map((t) => t.seq));
      }
    }),
    { numRuns: 200 },
  );
});

it('grows past its first buffer and past one-byte lengths, and shrinks again after a burst', () => {
  const builder = new InputBatchBuilder();
  const tasks = Array.from({ length: 600 }, (_, i) => ({ seq: i + 2 ** 40, payload: Buffer.alloc(700, i), items: 100, firstIndex: i * 100 }));
  for (const t of tasks) builder.add(t.seq, t.payload, t.items, t.firstIndex);
  expect(Buffer.compare(builder.finish(), generated(tasks))).toBe(0);
  // The next, small batch after a large one.
  builder.add(600, Buffer.from([1]), 1, 60_000);
  expect(Buffer.compare(builder.finish(), generated([{ seq: 600, payload: Buffer.from([1]), items: 1, firstIndex: 60_000 }]))).toBe(0);
  // After a batch of 2 MiB, a small one: still right once the large buffer was replaced.
  builder.add(601, Buffer.alloc(2 * 1024 * 1024, 7), 1, 60_001);
  expect(Buffer.compare(builder.finish(), generated([{ seq: 601, payload: Buffer.alloc(2 * 1024 * 1024, 7), items: 1, firstIndex: 60_001 }]))).toBe(0);
  builder.add(602, Buffer.from([2, 3]), 1, 60_002);
  builder.add(603, Buffer.from([4]), 1, 60_003);
  const small = [{ seq: 602, payload: Buffer.from([2, 3]), items: 1, firstIndex: 60_002 }, { seq: 603, payload: Buffer.from([4]), items: 1, firstIndex: 60_003 }];
  expect(Buffer.compare(builder.finish(), generated(small))).toBe(0);
});

it('hands a message over with finishOwned: later batches are built elsewhere and leave it unchanged', () => {
  const builder = new InputBatchBuilder();
  const big = { seq: 7, payload: Buffer.alloc(3 * 1024 * 1024, 9), items: 1, firstIndex: 7 };
  builder.add(big.seq, big.payload, big.items, big.firstIndex);
  const owned = builder.finishOwned();
  const expected = Buffer.from(generated([big]));
  expect(Buffer.compare(owned, expected)).toBe(0);
  // The next batches, large and small, go to new buffers: the handed-over message keeps its bytes.
  builder.add(8, Buffer.alloc(3 * 1024 * 1024, 1), 1, 8);
  const next = builder.finish();
  expect(next.buffer).not.toBe(owned.buffer);
  builder.add(9, Buffer.from([5]), 1, 3 * 1024 * 1024);
  builder.finish();
  expect(Buffer.compare(owned, expected)).toBe(0);
});
