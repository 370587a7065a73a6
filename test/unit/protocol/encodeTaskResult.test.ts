import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeTaskResult, pb } from '../../../src/protocol/index.ts';
import { taskResult } from './taskResultArbitrary.ts';

describe('encodeTaskResult', () => {
  it('writes exactly the bytes of the generated encoder, for values, failures and no outcome', () => {
    fc.assert(
      fc.property(taskResult, (result) => {
        expect(encodeTaskResult(result).equals(Buffer.from(pb.TaskResult.encode(result).finish()))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps an empty value present, so the client tells it from a result with no outcome', () => {
    const decoded = pb.TaskResult.decode(encodeTaskResult({ seq: 0, outcome: { $case: 'value', value: Buffer.alloc(0) }, attempt: 0, agent: '', worker: '', rseq: 0 }));
    expect(decoded.outcome?.$case).toBe('value');
  });

  it('writes non-ASCII agent and worker names and ids past 2^32', () => {
    const result: pb.TaskResult = { seq: 2 ** 45 + 3, outcome: { $case: 'value', value: Buffer.from([1, 2, 3]) }, attempt: 7, agent: 'nœud-✓', worker: 'wörker 𝄞', rseq: 2 ** 33 };
    expect(pb.TaskResult.decode(encodeTaskResult(result))).toEqual(result);
  });
});
