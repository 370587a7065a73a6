import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EncodedResultBatch, pb, serializeJobResponse } from '../../../src/protocol/index.ts';
import { taskResult } from './taskResultArbitrary.ts';

const generated = (m: pb.JobResponse): Buffer => Buffer.from(pb.JobResponse.encode(m).finish());
const encoded = (r: pb.TaskResult): Uint8Array => pb.TaskResult.encode(r).finish();

describe('serializeJobResponse', () => {
  it('writes for stored result bytes exactly what the generated encoder writes for the results', () => {
    fc.assert(
      fc.property(fc.array(taskResult, { maxLength: 40 }), (results) => {
        const out = serializeJobResponse(new EncodedResultBatch(results.map(encoded)));
        expect(out.equals(generated({ msg: { $case: 'results', value: { results } } }))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('gives a batch the client decodes into the same results', () => {
    const results: pb.TaskResult[] = [
      { seq: 2 ** 40, outcome: { $case: 'value', value: Buffer.alloc(70_000, 7) }, attempt: 2, agent: 'a', worker: 'w1', rseq: 1 },
      { seq: 3, outcome: { $case: 'value', value: Buffer.alloc(0) }, attempt: 1, agent: 'a', worker: 'w2', rseq: 2 },
    ];
    const decoded = pb.JobResponse.decode(serializeJobResponse(new EncodedResultBatch(results.map(encoded))));
    expect(decoded.msg?.$case).toBe('results');
    const got = decoded.msg?.$case === 'results' ? decoded.msg.value.results : [];
    expect(got.map((r) => [r.seq, r.rseq, r.worker, r.outcome?.$case === 'value' ? r.outcome.value.length : -1])).toEqual([
      [2 ** 40, 1, 'w1', 70_000],
      [3, 2, 'w2', 0],
    ]);
  });

  it('encodes the other messages with the generated encoder', () => {
    const others: pb.JobResponse[] = [
      { msg: { $case: 'opened', value: { jobId: 'j-1', tasksAccepted: 5, inputEnded: false, maxTaskBytes: 1 << 20 } } },
      { msg: { $case: 'end', value: { state: 'completed', message: '' } } },
      { msg: { $case: 'results', value: { results: [{ seq: 1, outcome: undefined, attempt: 1, agent: '', worker: '', rseq: 1 }] } } },
      { msg: undefined },
    ];
    for (const m of others) expect(serializeJobResponse(m).equals(generated(m))).toBe(true);
  });
});
