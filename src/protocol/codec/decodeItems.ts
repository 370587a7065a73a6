import { CodecError } from '../errors/CodecError.ts';
import { decodeValue } from './decodeValue.ts';
import { unpackNumbers } from './unpackNumbers.ts';

/**
 * Decode a list of values written by {@link encodeItems}: a CBOR array, or a packed sint32/float64
 * typed array, returned as such (indexing it gives the same numbers a CBOR array of them would). Any
 * other value, or bytes that are not CBOR, throw a {@link CodecError}.
 */
export function decodeItems(bytes: Uint8Array): ArrayLike<unknown> {
  const packed = unpackNumbers(bytes, 0);
  if (packed !== undefined) return packed;
  const values = decodeValue(bytes);
  if (!Array.isArray(values)) {
    throw new CodecError(`expected a CBOR array with one value per item (or a packed RFC 8746 sint32/float64 array), got ${describe(values)}`);
  }
  return values;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return value.constructor?.name ?? 'an object';
}
