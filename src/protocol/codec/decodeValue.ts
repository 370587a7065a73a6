import { cbor } from './cbor.ts';

/** Decode a value written by {@link encodeValue} (or any CBOR encoder following docs/protocol.md). */
export function decodeValue<T = unknown>(bytes: Uint8Array): T {
  return cbor.decode(bytes) as T;
}
