import { CodecError } from '../errors/CodecError.ts';
import { cbor } from './cbor.ts';
import { packNumbers } from './packNumbers.ts';
import { SINGLE_ARGUMENTS_TAG } from './SINGLE_ARGUMENTS_TAG.ts';

/** The head of tag {@link SINGLE_ARGUMENTS_TAG} (major type 6, 4-byte argument). */
const SINGLE_ARGUMENTS_HEAD = new Uint8Array([0xda, (SINGLE_ARGUMENTS_TAG >>> 24) & 0xff, (SINGLE_ARGUMENTS_TAG >>> 16) & 0xff, (SINGLE_ARGUMENTS_TAG >>> 8) & 0xff, SINGLE_ARGUMENTS_TAG & 0xff]);

/**
 * Encode the items of one task (a chunk). With `spread`, each item is an argument array (`starmap`,
 * `apply`) and the payload is the CBOR array of them. Otherwise each item is the call's one argument
 * (`map`, `imap`) and the payload is tag {@link SINGLE_ARGUMENTS_TAG} over the items as
 * {@link encodeItems} writes them (a packed typed array when they are many numbers). A value that
 * has no encoding throws a {@link CodecError}.
 */
export function encodeTaskPayload(items: readonly unknown[], spread: boolean): Uint8Array {
  if (!spread) {
    const packed = packNumbers(items, SINGLE_ARGUMENTS_HEAD);
    if (packed !== undefined) return packed;
  }
  try {
    if (spread) return cbor.encode(items);
    // The head, then the array: cheaper than a cbor-x Tag object (a few hundred ns per tiny task).
    const body = cbor.encode(items);
    const out = Buffer.allocUnsafe(SINGLE_ARGUMENTS_HEAD.length + body.length);
    out.set(SINGLE_ARGUMENTS_HEAD, 0);
    out.set(body, SINGLE_ARGUMENTS_HEAD.length);
    return out;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new CodecError(`could not encode the ${items.length} items of a task: ${why.slice(0, 200)}`, { cause: error });
  }
}
