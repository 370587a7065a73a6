import { describe, expect, it } from 'vitest';
import type { FailureMessage, ReplyMessage, ResultsMessage } from '../../../../src/agent/worker/messages.ts';
import { workerChannelCodec } from '../../../../src/agent/worker/workerChannelCodec.ts';

describe('workerChannelCodec', () => {
  it('round-trips a batch of results with their value bytes', () => {
    const results: ResultsMessage = {
      type: 'results',
      results: [0, 1].map((i) => ({ type: 'result', attemptId: `b.${i}`, value: new Uint8Array([0x81, i]), rss: 0 })),
    };
    const back = workerChannelCodec.decode(workerChannelCodec.encode(results)) as ResultsMessage;
    expect(back).toEqual(results);
    expect(back.results[1]!.type === 'result' && back.results[1]!.value).toBeInstanceOf(Uint8Array);
  });

  it('keeps numbers past 2^32 numbers (a worker RSS in bytes) and leaves absent fields absent', () => {
    const failure: FailureMessage = {
      type: 'failure', attemptId: 'b.1', kind: 'error', name: 'Error', message: 'm', stack: '', itemOffset: 3,
      retryable: true, code: 'E_X', rss: 6 * 2 ** 30,
    };
    const back = workerChannelCodec.decode(workerChannelCodec.encode(failure)) as FailureMessage;
    expect(back.rss).toBe(6 * 2 ** 30);
    expect(typeof back.rss).toBe('number');
    const reply: ReplyMessage = { type: 'reply', id: 7, value: { digest: 'd', size: 5 * 2 ** 32 } };
    const replyBack = workerChannelCodec.decode(workerChannelCodec.encode(reply)) as ReplyMessage;
    expect(replyBack).toEqual(reply);
    expect(replyBack.error).toBeUndefined();
  });
});
