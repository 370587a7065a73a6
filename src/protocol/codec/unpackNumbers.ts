const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The numbers of a packed block written by {@link packNumbers} starting at `at` and filling `bytes` to
 * its end: RFC 8746 tag 78/74 (sint32 le/be) or 86/82 (float64 le/be) over a byte string whose
 * length is a multiple of the element size. Anything else, `undefined`: the caller then decodes the
 * bytes as generic CBOR (which rejects what is malformed). The numbers are copied out, so the result
 * never holds on to `bytes`.
 */
export function unpackNumbers(bytes: Uint8Array, at: number): Int32Array | Float64Array | undefined {
  if (bytes[at] !== 0xd8) return undefined;
  const tag = bytes[at + 1];
  const ints = tag === 78 || tag === 74;
  if (!ints && tag !== 86 && tag !== 82) return undefined;
  const littleEndian = tag === 78 || tag === 86;
  const head = bytes[at + 2];
  if (head === undefined || head >> 5 !== 2) return undefined;
  let length: number;
  let start = at + 3;
  const info = head & 0x1f;
  if (info < 24) {
    length = info;
  } else if (info === 24 && start + 1 <= bytes.length) {
    length = bytes[start]!;
    start += 1;
  } else if (info === 25 && start + 2 <= bytes.length) {
    length = (bytes[start]! << 8) | bytes[start + 1]!;
    start += 2;
  } else if (info === 26 && start + 4 <= bytes.length) {
    length = bytes[start]! * 0x1000000 + ((bytes[start + 1]! << 16) | (bytes[start + 2]! << 8) | bytes[start + 3]!);
    start += 4;
  } else {
    return undefined;
  }
  const size = ints ? 4 : 8;
  if (start + length !== bytes.length || length % size !== 0) return undefined;
  const n = length / size;
  if (littleEndian === LITTLE_ENDIAN) {
    // A copy into a fresh (aligned) buffer: the block sits at any offset of the payload.
    const copy = Uint8Array.prototype.slice.call(bytes, start, start + length);
    return ints ? new Int32Array(copy.buffer, 0, n) : new Float64Array(copy.buffer, 0, n);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, length);
  if (ints) {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, littleEndian);
    return out;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, littleEndian);
  return out;
}
