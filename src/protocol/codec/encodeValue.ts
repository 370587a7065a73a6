import { CodecError } from '../errors/CodecError.ts';
import { cbor } from './cbor.ts';

/**
 * Encode a value in drover's language-neutral wire encoding (CBOR, docs/protocol.md). A value that
 * has no encoding throws a {@link CodecError}.
 */
export function encodeValue(value: unknown): Uint8Array {
  try {
    return cbor.encode(value);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new CodecError(`could not encode a value of type ${typeof value}: ${why.slice(0, 200)}`, { cause: error });
  }
}
