import { CodecError } from '../errors/CodecError.ts';
import { cbor } from './cbor.ts';
import { packNumbers } from './packNumbers.ts';

const NO_PREFIX = new Uint8Array(0);

/**
 * Encode a list of values, one per item of a task (its results, or its single arguments): a CBOR
 * array, or — when they are all numbers and many — one packed RFC 8746 typed array (sint32 or
 * float64), which {@link decodeItems} reads back as the same numbers (docs/protocol.md, "Values").
 * A value that has no encoding throws a {@link CodecError}.
 */
export function encodeItems(values: readonly unknown[]): Uint8Array {
  const packed = packNumbers(values, NO_PREFIX);
  if (packed !== undefined) return packed;
  try {
    return cbor.encode(values);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new CodecError(`could not encode a list of ${values.length} values: ${why.slice(0, 200)}`, { cause: error });
  }
}
