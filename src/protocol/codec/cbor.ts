import { Encoder, type Options } from 'cbor-x';

/**
 * The one CBOR configuration every drover process uses (docs/protocol.md, "Values").
 * No cbor-x record extension, so any RFC 8949 decoder can read what we write; 8-byte
 * integers decode as bigint so bigint values round-trip.
 */
export const cbor = new Encoder({
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: 'bigint',
  largeBigIntToFloat: false,
  pack: false,
} as Options & { int64AsType: 'bigint' });
