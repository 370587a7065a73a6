import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { encodeMessage, pb, withReusedEncoding } from '../../../src/protocol/index.ts';

const assignment = fc.record({
  attemptId: fc.string(), jobId: fc.string(), seq: fc.nat(), attempt: fc.nat({ max: 100 }),
  function: fc.record({ bundleDigest: fc.string(), exportName: fc.string() }),
  payload: fc.uint8Array({ maxLength: 4096 }).map((b) => Buffer.from(b)), items: fc.nat(), timeoutMs: fc.nat(), slots: fc.nat({ max: 8 }), firstIndex: fc.nat(), resultWaitMs: fc.nat(),
});
const assign = fc.array(assignment, { maxLength: 20 }).map((tasks): pb.CoordinatorMessage => ({ msg: { $case: 'assign', value: { acceptedAttemptIds: [], tasks } } }));

describe('encodeMessage (one reused writer)', () => {
  it('writes exactly the bytes of the generated encoder, message after message', () => {
    fc.assert(
      fc.property(fc.array(assign, { minLength: 1, maxLength: 5 }), (messages) => {
        for (const m of messages) expect(encodeMessage(pb.CoordinatorMessage, m)).toEqual(Buffer.from(pb.CoordinatorMessage.encode(m).finish()));
      }),
      { numRuns: 200 },
    );
  });

  it('hands out buffers that later messages do not overwrite', () => {
    const a = encodeMessage(pb.AgentMessage, { msg: { $case: 'credit', value: { tasks: 7 } } });
    const copy = Buffer.from(a);
    encodeMessage(pb.AgentMessage, { msg: { $case: 'heartbeat', value: { running: 3, queued: 9 } } });
    expect(a).toEqual(copy);
    expect(pb.AgentMessage.decode(a)).toEqual({ msg: { $case: 'credit', value: { tasks: 7 } } });
  });

  it('recovers from a message that fails halfway, and from one huge message', () => {
    const broken = { msg: { $case: 'assign', value: { tasks: [{ attemptId: 'x', payload: 42 }] } } } as unknown as pb.CoordinatorMessage;
    expect(() => encodeMessage(pb.CoordinatorMessage, broken)).toThrow();
    const ok: pb.AgentMessage = { msg: { $case: 'credit', value: { tasks: 1 } } };
    expect(encodeMessage(pb.AgentMessage, ok)).toEqual(Buffer.from(pb.AgentMessage.encode(ok).finish()));
    const big: pb.CoordinatorMessage = { msg: { $case: 'resultsAccepted', value: { attemptIds: Array.from({ length: 100_000 }, (_, i) => `attempt-${i}`) } } };
    const bigBytes = encodeMessage(pb.CoordinatorMessage, big);
    expect(bigBytes.length).toBeGreaterThan(1024 * 1024);
    expect(bigBytes.equals(Buffer.from(pb.CoordinatorMessage.encode(big).finish()))).toBe(true);
    expect(encodeMessage(pb.AgentMessage, ok)).toEqual(Buffer.from(pb.AgentMessage.encode(ok).finish()));
  });

  it('keeps a writer grown for large values while they come, and writes each message exactly once it lets it go', () => {
    vi.useFakeTimers();
    try {
      const result = (size: number, fill: number): pb.AgentMessage => ({
        msg: { $case: 'results', value: { results: [{ attemptId: `a${fill}`, outcome: { $case: 'value', value: Buffer.alloc(size, fill) }, worker: 'w', durationMs: 1 }], credit: 1 } },
      });
      const check = (m: pb.AgentMessage) => {
        const bytes = encodeMessage(pb.AgentMessage, m);
        expect(bytes.equals(Buffer.from(pb.AgentMessage.encode(m).finish()))).toBe(true);
        return bytes;
      };
      // 3 MiB, then smaller ones into the same (grown) writer: no bytes of the larger one may show.
      const first = check(result(3 * 1024 * 1024, 1));
      const firstCopy = Buffer.from(first);
      check(result(10, 2));
      check(result(2 * 1024 * 1024, 3));
      expect(first.equals(firstCopy)).toBe(true);
      // Past the release delay with no large message: the next ones go through a fresh writer.
      vi.advanceTimersByTime(10_000);
      check(result(10, 4));
      check(result(1024 * 1024 + 1, 5));
      // Larger than the writer is ever kept for.
      check(result(33 * 1024 * 1024, 6));
      check(result(10, 7));
    } finally {
      vi.useRealTimers();
    }
  });

  it('replaces only the serializers it is given, in a copy of the definition', () => {
    const fast = withReusedEncoding(pb.AgentsService, { connect: { request: pb.AgentMessage } });
    expect(fast.connect.requestSerialize).not.toBe(pb.AgentsService.connect.requestSerialize);
    expect(fast.connect.responseSerialize).toBe(pb.AgentsService.connect.responseSerialize);
    expect(fast.connect.path).toBe('/drover.v1.Agents/Connect');
    const m: pb.AgentMessage = { msg: { $case: 'results', value: { results: [{ attemptId: 'a', outcome: { $case: 'value', value: Buffer.from([1, 2]) }, worker: 'w', durationMs: 3 }], credit: 2 } } };
    expect(pb.AgentMessage.decode(fast.connect.requestSerialize(m))).toEqual(m);
  });
});
