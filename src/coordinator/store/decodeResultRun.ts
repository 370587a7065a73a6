import { readVarint } from '../../protocol/wire/index.ts';
import type { StoredResult } from './encodeResultRun.ts';

/** The results of a `result_runs.results` blob (see encodeResultRun), as views into it. */
export function* decodeResultRun(bytes: Uint8Array): Generator<StoredResult> {
  let at = 0;
  while (at < bytes.length) {
    const rseq = readVarint(bytes, at);
    const length = readVarint(bytes, rseq.next);
    const end = length.next + length.value;
    if (end > bytes.length) throw new RangeError(`a stored result run is cut short (result ${rseq.value} needs ${end} bytes, the run has ${bytes.length})`);
    yield { rseq: rseq.value, result: bytes.subarray(length.next, end) };
    at = end;
  }
}
