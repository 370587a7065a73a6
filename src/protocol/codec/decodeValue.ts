import { CodecError } from '../errors/CodecError.ts';
import { cbor } from './cbor.ts';

/**
 * Decode a value written by {@link encodeValue} (or any CBOR encoder following docs/protocol.md).
 * Whatever the bytes — truncated, garbage, nested past the stack, declaring absurd lengths — the
 * only error is a {@link CodecError} (with the CBOR library's error as `cause`).
 */
export function decodeValue<T = unknown>(bytes: Uint8Array): T {
  try {
    return cbor.decode(bytes) as T;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new CodecError(`could not decode a ${bytes.length}-byte value: it is not well-formed CBOR in drover's encoding (${why.slice(0, 200)})`, { cause: error });
  }
}
