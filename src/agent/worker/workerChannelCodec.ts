import { Encoder } from 'cbor-x';
import type { FailureMessage, ResultMessage } from './messages.ts';

/**
 * Its own configuration, not the values codec (src/protocol/codec/cbor.ts): these are drover's
 * internal messages, whose numbers (a worker's RSS in bytes) must stay numbers past 2^32, and whose
 * payloads are already CBOR byte strings carried as they are.
 */
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, pack: false });

/** First element of a result packed as an array: `[RESULT, attemptId, value, rss]`. */
const RESULT = 0;
/** First element of a batch packed as an array: `[RESULTS, [attemptId, value, rss] | FailureMessage, ...]`. */
const RESULTS = 1;

/** A result without a handoff file travels as a tuple: no key strings to write, or to decode and intern. */
function packResult(result: ResultMessage | FailureMessage): unknown {
  return result.type === 'result' && result.valueFile === undefined ? [result.attemptId, result.value, result.rss] : result;
}

/** The result at `array[at..at+2]` if it is one, else undefined (the caller then drops the message). */
function resultAt(array: unknown[], at: number): ResultMessage | undefined {
  const attemptId = array[at];
  const value = array[at + 1];
  const rss = array[at + 2];
  if (typeof attemptId !== 'string' || !(value instanceof Uint8Array) || typeof rss !== 'number') return undefined;
  return { type: 'result', attemptId, value, rss };
}

/** A batch's entry: a packed result, or a message (a failure, a result with a handoff file) as it was. */
function unpackResult(x: unknown): ResultMessage | FailureMessage | undefined {
  if (Array.isArray(x)) return x.length === 3 ? resultAt(x, 0) : undefined;
  return typeof x === 'object' && x !== null ? (x as ResultMessage | FailureMessage) : undefined;
}

/**
 * How a worker process writes every message it sends the agent (messages.ts), and how the agent reads
 * it: CBOR, sent through the fork's IPC channel as one byte array. The agent decodes it in half the
 * time Node's structured clone (`serialization: 'advanced'`) takes for the same objects, and the
 * agent's event loop is what bounds tiny tasks' throughput (issue 5: IPC was a fifth of `drover
 * local`'s time per no-op task). Results, one per task, go as arrays rather than maps: decoding a
 * map's keys allocated and interned four strings per result, and the arrays decode in a third of the
 * time (0.13–0.20 µs against 0.38–0.65 µs a result) at a third of the bytes. Every other message is a
 * map as it is. The other way, the structured clone stays: encoding the agent's messages with this
 * costs it more than the clone does. The channel stays the fork's own, so ordering, `disconnect` and
 * the exit behave as before.
 */
export const workerChannelCodec = {
  /** The bytes of one message to the agent. */
  encode(message: object): Uint8Array {
    const m = message as { type?: unknown };
    if (m.type === 'result') {
      const result = message as ResultMessage;
      if (result.valueFile === undefined) return cbor.encode([RESULT, result.attemptId, result.value, result.rss]);
    }
    if (m.type === 'results') {
      const results = (message as { results: (ResultMessage | FailureMessage)[] }).results;
      const out: unknown[] = [RESULTS];
      for (const result of results) out.push(packResult(result));
      return cbor.encode(out);
    }
    return cbor.encode(message);
  },

  /** A message back from its bytes, or undefined for an array that is not a packed result or batch; throws on bytes that are not CBOR. */
  decode(bytes: Uint8Array): unknown {
    const message: unknown = cbor.decode(bytes);
    if (!Array.isArray(message)) return message;
    if (message[0] === RESULT) return message.length === 4 ? resultAt(message, 1) : undefined;
    if (message[0] === RESULTS) {
      const results: (ResultMessage | FailureMessage)[] = [];
      for (let i = 1; i < message.length; i++) {
        const result = unpackResult(message[i]);
        if (result === undefined) return undefined;
        results.push(result);
      }
      return { type: 'results', results };
    }
    return undefined;
  },
};
