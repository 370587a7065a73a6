import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pb, serializeCoordinatorMessage } from '../../../src/protocol/index.ts';
import { assign, functions } from './assignmentArbitrary.ts';

const generated = (m: pb.CoordinatorMessage): Buffer => Buffer.from(pb.CoordinatorMessage.encode(m).finish());

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
