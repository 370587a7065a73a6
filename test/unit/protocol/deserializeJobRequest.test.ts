import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deserializeJobRequest, pb } from '../../../src/protocol/index.ts';
import { answerOf, expectSameAnswers } from './damagedBytes.ts';

const encode = (m: pb.JobRequest): Buffer => Buffer.from(pb.JobRequest.encode(m).finish());


const uint = fc.oneof(fc.constant(0), fc.nat(), fc.constant(2 ** 32 - 1), fc.constant(2 ** 49 - 1), fc.constant(2 ** 49), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const taskInput: fc.Arbitrary<pb.TaskInput> = fc.record({
  seq: uint,
  payload: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  items: fc.nat({ max: 2 ** 32 - 1 }),
  firstIndex: uint,
});
const inputs = fc.array(taskInput, { maxLength: 20 }).map((tasks): pb.JobRequest => ({ msg: { $case: 'inputs', value: { tasks } } }));
const others: pb.JobRequest[] = [
  { msg: { $case: 'inputEnd', value: { totalTasks: 5 } } },
  { msg: { $case: 'resultsReceived', value: { throughRseq: 9 } } },
  { msg: { $case: 'attach', value: { jobId: 'j-1', afterRseq: 3 } } },
  { msg: undefined },
];

afterEach(() => {
  vi.restoreAllMocks();
});

describe('deserializeJobRequest', () => {
  it('reads a client\'s batch of inputs without the generated decoder', () => {
    const decode = vi.spyOn(pb.JobRequest, 'decode');
    const m: pb.JobRequest = { msg: { $case: 'inputs', value: { tasks: [1, 2, 3].map((i) => ({ seq: i, payload: Buffer.from([0x81, i]), items: 1, firstIndex: i })) } } };
    expect(deserializeJobRequest(encode(m))).toEqual(m);
    expect(decode).not.toHaveBeenCalled();
  });

  it('decodes task input batches as the generated decoder does', () => {
    fc.assert(
      fc.property(inputs, (m) => {
        const bytes = encode(m);
        const got = deserializeJobRequest(bytes);
        expect(got).toEqual(pb.JobRequest.decode(bytes));
        // Payloads are copies, not views that would keep the whole message alive (or change with it).
        bytes.fill(0xff);
        expect(got).toEqual(m);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the generated decoder\'s answer for damaged, extended and other messages', () => {
    const message = fc.oneof(inputs, inputs, fc.constantFrom(...others));
    expectSameAnswers(message, encode, deserializeJobRequest, (b) => pb.JobRequest.decode(b));
    for (const m of others) expect(deserializeJobRequest(encode(m))).toEqual(pb.JobRequest.decode(encode(m)));
  });

  it('gives the generated decoder\'s answer for fields it does not expect inside a task input', () => {
    // TaskInput bodies, each in a batch of one: items past 2^32, seq past 2^53, an unknown field, a
    // field with the wrong wire type, a tag written in two bytes.
    const bodies = [
      [24, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
      [8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
      [8, 1, 40, 7, 18, 1, 9],
      [10, 1, 5],
      [0x88, 0x00, 5],
    ];
    for (const body of bodies) {
      const bytes = Buffer.from([0x12, body.length + 2, 0x0a, body.length, ...body]);
      expect(answerOf(deserializeJobRequest, bytes)).toEqual(answerOf((b) => pb.JobRequest.decode(b), bytes));
    }
  });

  it('leaves an inputs field given twice to the generated decoder (which keeps the last)', () => {
    const a = encode({ msg: { $case: 'inputs', value: { tasks: [{ seq: 1, payload: Buffer.from([1]), items: 1, firstIndex: 1 }] } } });
    const b = encode({ msg: { $case: 'inputs', value: { tasks: [{ seq: 2, payload: Buffer.from([2]), items: 1, firstIndex: 2 }] } } });
    const twice = Buffer.concat([a, b]);
    expect(deserializeJobRequest(twice)).toEqual(pb.JobRequest.decode(twice));
  });
});
