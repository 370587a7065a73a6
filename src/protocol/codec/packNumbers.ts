/** Below this many values a packed block is not worth its header and its two passes. */
const MIN_PACKED_VALUES = 16;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
// RFC 8746 typed-array tags in this machine's byte order: sint32 (le 78, be 74) and float64 (le 86, be 82).
const INT32_TAG = LITTLE_ENDIAN ? 78 : 74;
const FLOAT64_TAG = LITTLE_ENDIAN ? 86 : 82;

/**
 * The values as one RFC 8746 typed array (`prefix`, then tag 78 sint32 or 86 float64 over a byte
 * string), when they are all numbers and there are enough of them to pay; `undefined` otherwise (the
 * caller then writes a plain CBOR array). Reading the block back gives exactly the numbers a plain
 * CBOR array of them would: sint32 when every value is an int32 (-0 included, read back as 0, as
 * cbor-x writes -0 as the integer 0), float64 otherwise (NaN, ±Infinity, fractions, integers past 2³¹).
 */
export function packNumbers(values: readonly unknown[], prefix: Uint8Array): Uint8Array | undefined {
  const n = values.length;
  if (n < MIN_PACKED_VALUES || typeof values[0] !== 'number') return undefined;
  // Int32 until a value says otherwise (the common case, one pass); then float64 from there on.
  const ints = new Int32Array(n);
  let i = 0;
  for (; i < n; i++) {
    const v = values[i];
    if (typeof v !== 'number' || (v | 0) !== v) break;
    ints[i] = v; // -0 is stored as 0: it reads back as 0, as from a CBOR array
  }
  let block: Int32Array | Float64Array = ints;
  if (i < n) {
    if (typeof values[i] !== 'number') return undefined;
    const floats = new Float64Array(n);
    for (let j = 0; j < i; j++) floats[j] = ints[j]!;
    for (; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'number') return undefined;
      floats[i] = v + 0; // -0 + 0 is 0, as above
    }
    block = floats;
  }
  const isInt = block === ints;
  const length = block.byteLength;
  const headLength = length < 24 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
  const start = prefix.length + 2 + headLength;
  const out = Buffer.allocUnsafe(start + length);
  out.set(prefix, 0);
  let at = prefix.length;
  out[at++] = 0xd8;
  out[at++] = isInt ? INT32_TAG : FLOAT64_TAG;
  // Byte string head (major type 2) with its length. A task payload is far below 4 GiB (MAX_MESSAGE_BYTES).
  if (headLength === 1) {
    out[at++] = 0x40 + length;
  } else if (headLength === 2) {
    out[at++] = 0x58;
    out[at++] = length;
  } else if (headLength === 3) {
    out[at++] = 0x59;
    out.writeUInt16BE(length, at);
  } else {
    out[at++] = 0x5a;
    out.writeUInt32BE(length, at);
  }
  out.set(new Uint8Array(block.buffer, 0, length), start);
  return out;
}
