// OutcomeReorderBuffer hands an ordered stream's outcomes out in seq order from 0, each once, however
// far ahead of their turn they arrive (the ring grows) and whatever repeats come in between.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { Outcome } from '../../../src/sdk/Outcome.ts';
import { OutcomeReorderBuffer } from '../../../src/sdk/OutcomeReorderBuffer.ts';

const outcome = (seq: number, attempt = 1): Outcome => ({
  seq,
  payload: new ArrayBuffer(4),
  payloadOffset: 0,
  payloadLength: seq % 4,
  values: undefined,
  failure: undefined,
  attempt,
  agent: 'agent',
  worker: `worker-${seq % 3}`,
});

it('hands out every seq in order, once, whatever order they arrive in', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 300 }).chain((n) => fc.tuple(fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }), fc.array(fc.nat({ max: 5 }), { minLength: n, maxLength: n }))),
      ([arrivals, takesAfter]) => {
        // A small ring, so that outcomes far ahead of their turn make it grow.
        const buffer = new OutcomeReorderBuffer(2);
        const out: number[] = [];
        arrivals.forEach((seq, k) => {
          buffer.place(outcome(seq));
          // A repeat of an earlier arrival changes nothing (dropped, or replacing an equal one).
          if (k > 0) buffer.place(outcome(arrivals[k - 1]!));
          for (let t = 0; t < takesAfter[k]!; t++) {
            const o = buffer.takeNext();
            if (o === undefined) break;
            out.push(o.seq);
          }
        });
        for (let o = buffer.takeNext(); o !== undefined; o = buffer.takeNext()) out.push(o.seq);
        expect(out).toEqual([...arrivals].sort((a, b) => a - b));
      },
    ),
    { numRuns: 300 },
  );
});

it('gives nothing until the seq due next arrives, and each outcome field for field', () => {
  const buffer = new OutcomeReorderBuffer();
  const second = outcome(1, 2);
  buffer.place(second);
  expect(buffer.takeNext()).toBeUndefined();
  const first = outcome(0, 3);
  buffer.place(first);
  expect(buffer.takeNext()).toEqual(first);
  const taken = buffer.takeNext();
  expect(taken).toEqual(second);
  expect(taken!.payload).toBe(second.payload);
  expect(buffer.takeNext()).toBeUndefined();
  // One whose turn has passed (a repeat after re-attach) is dropped.
  buffer.place(outcome(0));
  expect(buffer.takeNext()).toBeUndefined();
});
