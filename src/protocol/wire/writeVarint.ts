/** Writes a non-negative integer (≤ 2^53) as a protobuf varint at `at`; returns the offset after it. */
export function writeVarint(out: Uint8Array, at: number, n: number): number {
  // Division rather than `>>>`: uint64 fields (seq, rseq, first_index) may pass 2^32.
  while (n >= 0x80) {
    out[at++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[at++] = n;
  return at;
}
