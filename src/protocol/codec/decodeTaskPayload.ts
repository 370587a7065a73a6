import { CodecError } from '../errors/CodecError.ts';
import { decodeItems } from './decodeItems.ts';
import { decodeValue } from './decodeValue.ts';
import { SINGLE_ARGUMENTS_TAG } from './SINGLE_ARGUMENTS_TAG.ts';

/** A task's items, as {@link decodeTaskPayload} reads them. */
export interface TaskItems {
  /** Each item is an argument array (to be checked by the caller); otherwise each is the one argument. */
  spread: boolean;
  items: ArrayLike<unknown>;
}

/**
 * Decode a task payload written by {@link encodeTaskPayload}: a CBOR array of argument arrays
 * (`spread`), or tag {@link SINGLE_ARGUMENTS_TAG} (in its 5-byte head) over a list of single
 * arguments. Anything else — including bytes that are not CBOR — throws a {@link CodecError}.
 */
export function decodeTaskPayload(bytes: Uint8Array): TaskItems {
  if (
    bytes[0] === 0xda && bytes[1] === (SINGLE_ARGUMENTS_TAG >>> 24 & 0xff) && bytes[2] === (SINGLE_ARGUMENTS_TAG >>> 16 & 0xff) &&
    bytes[3] === (SINGLE_ARGUMENTS_TAG >>> 8 & 0xff) && bytes[4] === (SINGLE_ARGUMENTS_TAG & 0xff)
  ) {
    return { spread: false, items: decodeItems(bytes.subarray(5)) };
  }
  const items = decodeValue(bytes);
  if (!Array.isArray(items)) {
    throw new CodecError(`a task payload must be a CBOR array of argument arrays, or tag ${SINGLE_ARGUMENTS_TAG} over an array of single arguments (docs/protocol.md); got ${items === null ? 'null' : typeof items}`);
  }
  return { spread: true, items };
}
