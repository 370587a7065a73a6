import { describe, expect, it } from 'vitest';
import { Encoder } from 'cbor-x';
import type { FailureMessage, ReplyMessage, ResultMessage, ResultsMessage } from '../../../../src/agent/worker/messages.ts';
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

  it('sends results as arrays, a third of the bytes, and keeps failures and handed-off results whole among them', () => {
    const result: ResultMessage = { type: 'result', attemptId: 'k3f9a2.17', value: new Uint8Array([0x81, 7]), rss: 123_456_789 };
    const bytes = workerChannelCodec.encode(result);
    expect(workerChannelCodec.decode(bytes)).toEqual(result);
    const asMap = new Encoder({ useRecords: false, mapsAsObjects: true, pack: false }).encode(result);
    expect(bytes.length * 2).toBeLessThan(asMap.length);

    const failure: FailureMessage = {
      type: 'failure', attemptId: 'k3f9a2.18', kind: 'error', name: 'TypeError', message: 'no', stack: 'at x', itemOffset: 0, retryable: false, code: '', rss: 0,
    };
    const handedOff: ResultMessage = { type: 'result', attemptId: 'k3f9a2.19', value: new Uint8Array(0), valueFile: 'r-19', rss: 5 };
    const batch: ResultsMessage = { type: 'results', results: [result, failure, handedOff, { ...result, attemptId: 'k3f9a2.20' }] };
    expect(workerChannelCodec.decode(workerChannelCodec.encode(batch))).toEqual(batch);
  });

  it('answers undefined for arrays that are not a packed result or batch (a task may send its own bytes)', () => {
    const raw = new Encoder({ useRecords: false, mapsAsObjects: true, pack: false });
    expect(workerChannelCodec.decode(raw.encode([0, 'a', 'not bytes', 1]))).toBeUndefined();
    expect(workerChannelCodec.decode(raw.encode([0, 'a', new Uint8Array(1)]))).toBeUndefined();
    expect(workerChannelCodec.decode(raw.encode([1, ['a', new Uint8Array(1), 0], ['b', 2]]))).toBeUndefined();
    expect(workerChannelCodec.decode(raw.encode([7, 1, 2]))).toBeUndefined();
    expect(workerChannelCodec.decode(raw.encode({ type: 'ready' }))).toEqual({ type: 'ready' });
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
