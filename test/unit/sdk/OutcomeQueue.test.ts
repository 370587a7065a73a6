// OutcomeQueue hands outcomes back first in, first out, field for field, through any mix of pushes
// and shifts (the ring wraps and grows), and holds nothing of an outcome once it is taken.
import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';
import type { Outcome } from '../../../src/sdk/Outcome.ts';
import { OutcomeQueue } from '../../../src/sdk/OutcomeQueue.ts';

const outcome = (seq: number): Outcome => ({
  seq,
  payload: seq % 3 === 0 ? undefined : new ArrayBuffer(8 + (seq % 5)),
  payloadOffset: seq % 4,
  payloadLength: seq % 7,
  values: seq % 5 === 0 ? [seq] : undefined,
  failure: seq % 11 === 0 ? { kind: 'raised', name: 'Error', message: `task ${seq}`, stack: '', itemOffset: 0, exitCode: 0, signal: '', stderrTail: '', retryable: false, code: '' } : undefined,
  attempt: 1 + (seq % 3),
  agent: `agent-${seq % 2}`,
  worker: `worker-${seq % 4}`,
});

it('returns what was pushed, oldest first and field for field, whatever the ring does', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.record({ push: fc.integer({ min: 1, max: 40 }) }), fc.record({ shift: fc.integer({ min: 1, max: 40 }) })), { maxLength: 40 }), (ops) => {
      // A small ring, so that it wraps and grows often.
      const queue = new OutcomeQueue(4);
      const model: Outcome[] = [];
      let seq = 0;
      for (const op of ops) {
        if ('push' in op) {
          for (let i = 0; i < op.push; i++) {
            const o = outcome(seq++);
            queue.push(o);
            model.push(o);
          }
        } else {
          for (let i = 0; i < op.shift; i++) {
            const expected = model.shift();
            const got = queue.shift();
            expect(got).toEqual(expected);
            // The same buffer, not a copy: the payload is a range of its message's buffer.
            if (expected?.payload) expect(got!.payload).toBe(expected.payload);
          }
        }
        expect(queue.size).toBe(model.length);
      }
    }),
    { numRuns: 300 },
  );
});

it('gives a new object for each outcome taken, and undefined once empty', () => {
  const queue = new OutcomeQueue();
  const pushed = outcome(1);
  queue.push(pushed);
  const taken = queue.shift();
  expect(taken).toEqual(pushed);
  expect(taken).not.toBe(pushed);
  expect(queue.shift()).toBeUndefined();
  expect(queue.size).toBe(0);
});

it('keeps no reference to an outcome\'s payload, values or failure once it is taken', async () => {
  // A collection on demand, without starting the test process with --expose-gc.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const queue = new OutcomeQueue();
  const refs = (() => {
    const o = outcome(11);
    o.values = [1];
    queue.push(o);
    queue.push(outcome(12));
    const taken = queue.shift()!;
    return [new WeakRef(taken.payload!), new WeakRef(taken.values as object), new WeakRef(taken.failure!)];
  })();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  expect(refs.map((r) => r.deref())).toEqual([undefined, undefined, undefined]);
  // The one still waiting is kept.
  expect(queue.shift()!.seq).toBe(12);
});
