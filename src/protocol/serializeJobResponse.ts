import { EncodedResultBatch } from './EncodedResultBatch.ts';
import { encodeMessage } from './encodeMessage.ts';
import * as pb from './pb.ts';
import { varintSize, writeVarint } from './wire/index.ts';

/** `JobResponse.results` (field 2, length-delimited). */
const RESULTS_TAG = 0x12;
/** `TaskResultBatch.results` (field 1, length-delimited). */
const RESULT_TAG = 0x0a;

/**
 * The `Jobs.Run` response serializer: a {@link EncodedResultBatch} becomes the bytes
 * `pb.JobResponse.encode({ msg: { $case: 'results', value: { results } } })` would write for the decoded
 * results — the stored `TaskResult` bytes copied into one buffer behind their tags and lengths, not
 * encoded a second time (that second encoding was ~5 % of `drover local`'s main thread on 20k no-op
 * tasks). Any other message goes through {@link encodeMessage}.
 */
export function serializeJobResponse(message: pb.JobResponse | EncodedResultBatch): Buffer {
  if (!(message instanceof EncodedResultBatch)) return encodeMessage(pb.JobResponse, message);
  const results = message.results;
  let batchSize = 0;
  for (const r of results) batchSize += 1 + varintSize(r.length) + r.length;
  const out = Buffer.allocUnsafe(1 + varintSize(batchSize) + batchSize);
  out[0] = RESULTS_TAG;
  let at = writeVarint(out, 1, batchSize);
  for (const r of results) {
    out[at++] = RESULT_TAG;
    at = writeVarint(out, at, r.length);
    out.set(r, at);
    at += r.length;
  }
  return out;
}
