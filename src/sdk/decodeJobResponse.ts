import { pb } from '../protocol/index.ts';

/**
 * `Jobs.Run`'s response deserializer: the same `pb.JobResponse` as the generated decoder, but a
 * result batch's values are views into the message instead of copies.
 *
 * The generated decoder copies every `bytes` field into a buffer of its own (from Node's shared
 * 64 KiB pool for small ones). On a streamed job that is one copy per task, millions of them,
 * and a result waiting to be consumed pins a whole pool slab. A view pins only the message it
 * came in, which the consumer is working through anyway. Anything unexpected (other messages,
 * unknown fields, a malformed batch) goes to the generated decoder, which also reports errors.
 */
export function decodeJobResponse(bytes: Buffer): pb.JobResponse {
  if (bytes.length === 0 || bytes[0] !== 0x12) return pb.JobResponse.decode(bytes); // not `results` (field 2)
  return decodeResults(bytes) ?? pb.JobResponse.decode(bytes);
}

/** The result batch, or undefined when the message is anything but a plain batch of known fields. */
function decodeResults(buf: Buffer): pb.JobResponse | undefined {
  const reader = { buf, at: 1 };
  const batchEnd = readLength(reader);
  if (batchEnd !== buf.length) return undefined; // a second field after the batch: leave it to the generated code
  const results: pb.TaskResult[] = [];
  while (reader.at < batchEnd) {
    if (buf[reader.at++] !== 0x0a) return undefined; // TaskResultBatch.results = 1
    const end = readLength(reader);
    if (end < 0) return undefined;
    const r: pb.TaskResult = { seq: 0, outcome: undefined, attempt: 0, agent: '', worker: '', rseq: 0 };
    while (reader.at < end) {
      const tag = buf[reader.at++];
      switch (tag) {
        case 0x08:
          r.seq = readVarint(reader);
          break;
        case 0x12: {
          const valueEnd = readLength(reader);
          if (valueEnd < 0 || valueEnd > end) return undefined;
          r.outcome = { $case: 'value', value: buf.subarray(reader.at, valueEnd) };
          reader.at = valueEnd;
          break;
        }
        case 0x1a: {
          const failureEnd = readLength(reader);
          if (failureEnd < 0 || failureEnd > end) return undefined;
          r.outcome = { $case: 'failure', value: pb.TaskFailure.decode(buf.subarray(reader.at, failureEnd)) };
          reader.at = failureEnd;
          break;
        }
        case 0x20:
          r.attempt = readVarint(reader) >>> 0;
          break;
        case 0x2a:
        case 0x32: {
          const stringEnd = readLength(reader);
          if (stringEnd < 0 || stringEnd > end) return undefined;
          const s = buf.toString('utf8', reader.at, stringEnd);
          if (tag === 0x2a) r.agent = s;
          else r.worker = s;
          reader.at = stringEnd;
          break;
        }
        case 0x38:
          r.rseq = readVarint(reader);
          break;
        default:
          return undefined;
      }
      if (reader.at > end || Number.isNaN(reader.at)) return undefined;
    }
    results.push(r);
  }
  return { msg: { $case: 'results', value: { results } } };
}

/** A varint as a number (exact up to 2^53, as the generated code's `forceLong=number`); NaN offset when truncated. */
function readVarint(reader: { buf: Buffer; at: number }): number {
  const { buf } = reader;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (reader.at >= buf.length) {
      reader.at = Number.NaN;
      return 0;
    }
    const byte = buf[reader.at++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
  }
  reader.at = Number.NaN;
  return 0;
}

/** A length prefix, returned as the end offset of what it delimits; -1 when it does not fit the buffer. */
function readLength(reader: { buf: Buffer; at: number }): number {
  const length = readVarint(reader);
  const end = reader.at + length;
  return Number.isNaN(end) || end > reader.buf.length ? -1 : end;
}
