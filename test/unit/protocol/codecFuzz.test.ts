// Property-based tests of the value codec: every supported value round-trips with its type, and
// no byte string — random, truncated, bit-flipped — makes decoding throw anything but a CodecError
// or leave the decoder unable to decode the next value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError, decodeValue, encodeValue } from '../../../src/protocol/index.ts';

/** Keys the codec refuses to turn into a prototype (cbor-x renames `__proto__`), so not generated. */
const key = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((k) => k !== '__proto__');

const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true }).filter((d) => !Object.is(d, -0)),
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  // Tag 1 carries float seconds: exact to the millisecond within ±2^42 s of 1970 (docs/protocol.md).
  fc.date({ noInvalidDate: true, min: new Date(-(2 ** 42) * 1000), max: new Date(2 ** 42 * 1000 - 1) }),
  fc.uint8Array({ maxLength: 64 }),
  fc.float32Array({ maxLength: 8, noNaN: true }),
  fc.float64Array({ maxLength: 8, noNaN: true }),
  fc.int16Array({ maxLength: 8 }),
  fc.uint32Array({ maxLength: 8 }),
  fc.bigInt64Array({ maxLength: 4 }),
);

const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 6 }),
  object: fc.dictionary(key, tie('node'), { maxKeys: 6 }),
})).node;

/** Decoding anything must return a value or throw a CodecError, and must not disturb the next decode. */
function decodesSafely(bytes: Uint8Array): void {
  try {
    decodeValue(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).code).toBe('DROVER_CODEC');
  }
  expect(decodeValue(encodeValue({ after: [1, 'two', 3n] }))).toEqual({ after: [1, 'two', 3n] });
}

describe('value codec (property-based)', () => {
  it('round-trips arbitrary supported values with their types', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(decodeValue(encodeValue(v))).toEqual(v);
      }),
      { numRuns: 500 },
    );
  });

  it('decodes arbitrary bytes to a value or a CodecError, never another exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), decodesSafely), { numRuns: 3000 });
  });

  it('decodes truncated and bit-flipped encodings to a value or a CodecError', () => {
    fc.assert(
      fc.property(value, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 }), (v, cut, at, bit) => {
        const bytes = encodeValue(v);
        decodesSafely(bytes.subarray(0, cut % (bytes.length + 1)));
        const flipped = Uint8Array.from(bytes);
        flipped[at % flipped.length] ^= 1 << bit;
        decodesSafely(flipped);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses hostile headers with a CodecError: absurd lengths, deep nesting, trailing bytes', () => {
    const hostile = [
      Uint8Array.from([0x9b, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff]), // array of 2^40 items
      Uint8Array.from([0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // byte string of 2^64-1 bytes
      Uint8Array.from([0x7a, 0xff, 0xff, 0xff, 0xff]), // text string of 4 GiB
      new Uint8Array(200_000).fill(0x81), // 200 000 nested arrays
      Uint8Array.from([0x01, 0x02]), // trailing bytes
      new Uint8Array(0),
    ];
    for (const bytes of hostile) {
      expect(() => decodeValue(bytes)).toThrow(CodecError);
      decodesSafely(bytes);
    }
  });

  it('refuses values that have no encoding with a CodecError', () => {
    expect(() => encodeValue(Symbol('s'))).toThrow(CodecError);
  });
});
