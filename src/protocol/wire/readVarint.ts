/**
 * Reads a non-negative protobuf varint (≤ 2^53) at `at`; returns the value and the offset after it.
 * Throws on a varint that runs past the end.
 */
export function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (at >= bytes.length) throw new RangeError('readVarint: the varint runs past the end of the bytes');
    const b = bytes[at++]!;
    // Multiplication rather than `<<`: values may pass 2^32.
    value += (b & 0x7f) * scale;
    if (b < 0x80) return { value, next: at };
    scale *= 0x80;
  }
}
