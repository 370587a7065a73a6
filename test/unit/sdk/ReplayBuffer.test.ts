// ReplayBuffer keeps the messages not yet accepted, in order and unchanged, whatever the ring does
// (append, wrap to the front, grow into a larger arena, give an idle large arena back), with large
// messages kept whole in between.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ReplayBuffer } from '../../../src/sdk/ReplayBuffer.ts';

const message = (seq: number, length: number) => Buffer.alloc(length, seq % 251);

it('returns the pending messages, oldest first, byte for byte, through any mix of pushes and accepts', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(// Mostly sizes that fill the ring exactly: the edge cases of wrapping are at equal offsets.
        fc.record({ push: fc.oneof({ arbitrary: fc.constantFrom(5_000, 10_000), weight: 4 }, { arbitrary: fc.integer({ min: 1, max: 40_000 }), weight: 1 }) }),
        fc.record({ accept: fc.nat({ max: 4 }) }),
        // Large messages handed over whole, between the ones copied into the ring.
        fc.record({ keep: fc.integer({ min: 1, max: 60_000 }) })), { maxLength: 60 }),
      (ops) => {
        const buffer = new ReplayBuffer();
        // The model: messages not yet accepted, as [endSeq, content]; every view handed out must keep its bytes.
        let pending: [number, Buffer][] = [];
        const handedOut: [Buffer, Buffer][] = [];
        let seq = 0;
        for (const op of ops) {
          if ('push' in op || 'keep' in op) {
            seq += 1;
            const m = 'push' in op ? message(seq, op.push) : message(seq, op.keep);
            // A kept message is the caller's buffer itself: the model holds a copy to compare with.
            const view = 'push' in op ? buffer.push(seq, m) : buffer.keep(seq, m);
            const expected = 'push' in op ? m : Buffer.from(m);
            if ('keep' in op) expect(view).toBe(m);
            expect(Buffer.compare(view, expected)).toBe(0);
            pending.push([seq, expected]);
            handedOut.push([view, expected]);
          } else {
            const through = (pending[0]?.[0] ?? seq) - 1 + op.accept;
            buffer.acceptThrough(through);
            pending = pending.filter(([end]) => end > through);
            // Views of accepted messages may be reused; only pending ones must stay intact.
            handedOut.splice(0, handedOut.length, ...handedOut.filter(([, m]) => pending.some(([, p]) => p === m)));
          }
          expect(buffer.isEmpty).toBe(pending.length === 0);
          const out = [...buffer.pending()];
          expect(out.length).toBe(pending.length);
          out.forEach((view, i) => expect(Buffer.compare(view, pending[i]![1])).toBe(0));
          for (const [view, m] of handedOut) expect(Buffer.compare(view, m)).toBe(0);
        }
      },
    ),
    { numRuns: 500 },
  );
});

it('wraps to the front once the oldest messages were accepted, and grows when they were not', () => {
  const buffer = new ReplayBuffer();
  // A 20 KB arena (twice the first message): 1 and 2 fill it.
  const a = buffer.push(1, message(1, 10_000));
  buffer.push(2, message(2, 10_000));
  buffer.acceptThrough(1);
  // 3 goes where 1 was.
  const c = buffer.push(3, message(3, 10_000));
  expect(c.buffer).toBe(a.buffer);
  expect(c.byteOffset).toBe(a.byteOffset);
  expect([...buffer.pending()].map((v) => v[0])).toEqual([2, 3]);
  // The ring is full (2 and 3 pending): 4 goes to a larger arena, the pending ones moved in order.
  const d = buffer.push(4, message(4, 10_000));
  expect(d.buffer).not.toBe(a.buffer);
  expect([...buffer.pending()].map((v) => [v[0], v.length])).toEqual([[2, 10_000], [3, 10_000], [4, 10_000]]);
  // Views handed out before the move still read their message.
  expect(c[0]).toBe(3);
  buffer.acceptThrough(4);
  expect(buffer.isEmpty).toBe(true);
  expect([...buffer.pending()]).toEqual([]);
});

it('keeps a large message handed over as it is, and places the ring\'s messages around it', () => {
  const buffer = new ReplayBuffer();
  const a = buffer.push(1, message(1, 10_000));
  const big = message(2, 3_000_000);
  expect(buffer.keep(2, big)).toBe(big);
  // The ring goes on after its own newest message, ignoring the one kept whole.
  const c = buffer.push(3, message(3, 5_000));
  expect(c.buffer).toBe(a.buffer);
  expect(c.byteOffset).toBe(a.byteOffset + 10_000);
  expect([...buffer.pending()].map((v) => [v[0], v.length])).toEqual([[1, 10_000], [2, 3_000_000], [3, 5_000]]);
  expect([...buffer.pending()][1]).toBe(big);
  // Growing the ring moves its messages and leaves the kept one where it is, in order.
  buffer.push(4, message(4, 10_000));
  expect([...buffer.pending()].map((v) => [v[0], v.length])).toEqual([[1, 10_000], [2, 3_000_000], [3, 5_000], [4, 10_000]]);
  expect([...buffer.pending()][1]).toBe(big);
  buffer.acceptThrough(3);
  expect([...buffer.pending()].map((v) => v[0])).toEqual([4]);
});
