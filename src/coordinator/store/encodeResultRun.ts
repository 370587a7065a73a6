import { varintSize, writeVarint } from '../../protocol/wire/index.ts';

/** A stored result: the encoded `drover.v1.TaskResult` and its delivery sequence. */
export interface StoredResult {
  rseq: number;
  result: Uint8Array;
}

/** The `result_runs.results` blob of `results` (in rseq order): per result, varint rseq, varint length, bytes. */
export function encodeResultRun(results: readonly StoredResult[]): Uint8Array {
  let size = 0;
  for (const r of results) size += varintSize(r.rseq) + varintSize(r.result.length) + r.result.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const r of results) {
    at = writeVarint(out, at, r.rseq);
    at = writeVarint(out, at, r.result.length);
    out.set(r.result, at);
    at += r.result.length;
  }
  return out;
}
