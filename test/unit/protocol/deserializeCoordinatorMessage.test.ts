import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deserializeCoordinatorMessage, pb, serializeCoordinatorMessage } from '../../../src/protocol/index.ts';
import { answerOf, expectSameAnswers } from './damagedBytes.ts';
import { assign, assignment } from './assignmentArbitrary.ts';


const others: pb.CoordinatorMessage[] = [
  { msg: { $case: 'registered', value: { sessionId: 's-1', heartbeatMs: 5000, creditWithResults: true } } },
  { msg: { $case: 'resultsAccepted', value: { attemptIds: ['a', 'b'] } } },
  { msg: { $case: 'cancel', value: { attemptIds: ['c'] } } },
  { msg: undefined },
];

/** Assignments as the scheduler makes them: ASCII ids, one job and function for runs of tasks. */
const job = fc.record({ jobId: fc.constantFrom('j-1', 'j-2', ''), function: fc.constantFrom({ bundleDigest: 'a'.repeat(64), exportName: 'square' }, { bundleDigest: 'b'.repeat(64), exportName: 'noop' }) });
const realistic = fc
  .record({ tasks: fc.array(fc.tuple(assignment, job, fc.stringMatching(/^[0-9a-z]{1,12}\.[0-9a-z]{1,8}$/)), { maxLength: 30 }), acceptedAttemptIds: fc.array(fc.stringMatching(/^[0-9a-z.]{0,20}$/), { maxLength: 6 }) })
  .map(({ tasks, acceptedAttemptIds }): pb.CoordinatorMessage => ({ msg: { $case: 'assign', value: { tasks: tasks.map(([a, j, id]) => ({ ...a, ...j, attemptId: id })), acceptedAttemptIds } } }));

describe('deserializeCoordinatorMessage', () => {
  it('decodes assignment batches as the generated decoder does, message after message', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(realistic, assign), { minLength: 1, maxLength: 6 }), (messages) => {
        for (const m of messages) {
          const bytes = serializeCoordinatorMessage(m);
          const got = deserializeCoordinatorMessage(bytes);
          expect(got).toEqual(pb.CoordinatorMessage.decode(bytes));
          // Payloads are copies, not views that would keep the whole message alive (or change with it).
          bytes.fill(0xff);
          expect(got).toEqual(m.msg?.$case === 'assign' ? { msg: { $case: 'assign', value: { ...m.msg.value, tasks: m.msg.value.tasks.map((t) => ({ ...t, payload: Buffer.from(t.payload) })) } } } : m);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reads a batch of one job\'s tasks into one job id and one function reference', () => {
    const ref = { bundleDigest: 'c'.repeat(64), exportName: 'run' };
    const task = (i: number): pb.Assignment => ({ attemptId: `b.${i}`, jobId: 'j-9', seq: i, attempt: 1, function: ref, payload: Buffer.from([i]), items: 1, timeoutMs: 0, slots: 1, firstIndex: i, resultWaitMs: 2 });
    const got = deserializeCoordinatorMessage(serializeCoordinatorMessage({ msg: { $case: 'assign', value: { tasks: [task(1), task(2), task(3)], acceptedAttemptIds: [] } } }));
    const tasks = got.msg?.$case === 'assign' ? got.msg.value.tasks : [];
    expect(tasks.map((t) => t.seq)).toEqual([1, 2, 3]);
    expect(new Set(tasks.map((t) => t.function)).size).toBe(1);
    expect(tasks[0]!.function).toEqual(ref);
  });

  it('gives the generated decoder\'s answer for damaged, extended and other messages', () => {
    const message = fc.oneof(realistic, realistic, assign, fc.constantFrom(...others));
    expectSameAnswers(message, serializeCoordinatorMessage, deserializeCoordinatorMessage, (b) => pb.CoordinatorMessage.decode(b));
    for (const m of others) expect(deserializeCoordinatorMessage(serializeCoordinatorMessage(m))).toEqual(pb.CoordinatorMessage.decode(serializeCoordinatorMessage(m)));
  });

  it('gives the generated decoder\'s answer for fields it does not expect inside an assignment', () => {
    // Assignment bodies, each in a batch of one: every uint32 field past 2^32, seq past 2^53, an unknown
    // field, a field with the wrong wire type, a tag written in two bytes, a non-ASCII attempt id, a
    // function reference with an unknown field.
    const past32 = [0x80, 0x80, 0x80, 0x80, 0x10];
    const bodies = [
      ...[32, 56, 64, 72, 88].map((tag) => [10, 1, 0x61, tag, ...past32]),
      [24, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
      [10, 1, 0x61, 96, 7],
      [10, 1, 0x61, 26, 1, 5],
      [0x8a, 0x00, 1, 0x61],
      [10, 2, 0xc3, 0xa9],
      [42, 3, 24, 1, 2],
    ];
    for (const body of bodies) {
      const bytes = Buffer.from([0x12, body.length + 2, 0x0a, body.length, ...body]);
      expect(answerOf(deserializeCoordinatorMessage, bytes)).toEqual(answerOf((b) => pb.CoordinatorMessage.decode(b), bytes));
    }
  });
});
