import { cbor } from './cbor.ts';

/** Encode a value in drover's language-neutral wire encoding (CBOR, docs/protocol.md). */
export function encodeValue(value: unknown): Uint8Array {
  return cbor.encode(value);
}
