// The task-payload and result-list encodings (docs/protocol.md, "Values"): single arguments under
// SINGLE_ARGUMENTS_TAG, many numbers as one packed RFC 8746 typed array, and everything read back as
// the same JS values as a plain CBOR array would give.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CodecError,
  SINGLE_ARGUMENTS_TAG,
  decodeItems,
  decodeTaskPayload,
  decodeValue,
  encodeItems,
  encodeTaskPayload,
  encodeValue,
} from '../../../src/protocol/index.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** Element by element with Object.is (so -0 and NaN count), as a list. */
const same = (a: ArrayLike<unknown>, b: ArrayLike<unknown>): void => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Object.is(a[i], b[i]), `item ${i}: ${String(a[i])} vs ${String(b[i])}`).toBe(true);
};
const ints = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('encodeItems / decodeItems', () => {
  it('packs many int32 values as RFC 8746 sint32 (tag 78) and reads back the same numbers', () => {
    const values = ints(1000, -500);
    const bytes = encodeItems(values);
    // d8 4e: tag 78; 59 0fa0: a byte string of 4000 bytes.
    expect(hex(bytes.subarray(0, 5))).toBe('d84e590fa0');
    expect(bytes.length).toBe(5 + 4000);
    const back = decodeItems(bytes);
    expect(back).toBeInstanceOf(Int32Array);
    same(back, values);
    // Any RFC 8746 reader sees a sint32 array (here cbor-x through decodeValue).
    same(decodeValue<Int32Array>(bytes), values);
  });

  it('packs numbers that are not all int32 as float64 (tag 86), keeping NaN, Infinity and large integers', () => {
    const values = [...ints(20), NaN, Infinity, -Infinity, 1.5, -2.25, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, Number.MIN_VALUE];
    const bytes = encodeItems(values);
    expect(hex(bytes.subarray(0, 2))).toBe('d856');
    const back = decodeItems(bytes);
    expect(back).toBeInstanceOf(Float64Array);
    same(back, values);
  });

  it('reads -0 back as 0, packed or not, as a plain CBOR array always did', () => {
    for (const values of [[-0, 1], [...ints(20), -0], [...ints(20), -0, 0.5]]) {
      same(decodeItems(encodeItems(values)), decodeValue<unknown[]>(encodeValue(values)));
      expect(Object.is(decodeItems(encodeItems(values))[values.indexOf(-0)], 0)).toBe(true);
    }
  });

  it('keeps the int32 bounds in sint32', () => {
    const values = [...ints(16), 2 ** 31 - 1, -(2 ** 31)];
    expect(hex(encodeItems(values).subarray(0, 2))).toBe('d84e');
    same(decodeItems(encodeItems(values)), values);
  });

  it('writes a plain CBOR array for few values, or values that are not all numbers', () => {
    expect(hex(encodeItems([1, 2, 3]))).toBe('83010203');
    const mixed = [...ints(20), 'x'];
    expect(decodeItems(encodeItems(mixed))).toEqual(mixed);
    expect(Array.isArray(decodeItems(encodeItems(mixed)))).toBe(true);
    const withBigint = [...ints(20), 5n];
    expect(decodeItems(encodeItems(withBigint))).toEqual(withBigint);
    // A hole reads as undefined, as the array's iterator would give it.
    const holey = ints(20);
    delete holey[3];
    const back = decodeItems(encodeItems(holey));
    expect(back[3]).toBeUndefined();
    expect(back.length).toBe(20);
  });

  it('gives back any list of numbers as a plain CBOR array would, packed or not', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.double(), fc.constant(-0), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })), { maxLength: 80 }), (values) => {
        // The same numbers a plain CBOR array of them gives back.
        same(decodeItems(encodeItems(values)), decodeValue<unknown[]>(encodeValue(values)));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a value that is not a list, malformed blocks and garbage with a CodecError', () => {
    const good = encodeItems(ints(32));
    const hostile = [
      encodeValue({ not: 'a list' }),
      encodeValue(new Uint8Array([1, 2, 3])),
      encodeValue(new Int16Array(20)), // a typed array, but not one of ours
      good.subarray(0, good.length - 1), // truncated block
      Uint8Array.from([0xd8, 0x4e, 0x45, 1, 2, 3, 4, 5]), // 5 bytes: not a whole number of int32s
      Uint8Array.from([0xd8, 0x56, 0x48, 1, 2, 3, 4, 5, 6, 7, 8, 0]), // trailing byte
      Uint8Array.from([0xd8, 0x4e, 0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // absurd length
      Uint8Array.from([0xd8, 0x4e]),
      new Uint8Array(0),
    ];
    for (const bytes of hostile) expect(() => decodeItems(bytes), hex(bytes)).toThrow(CodecError);
  });

  it('reads big-endian blocks (tags 74 and 82) written by other machines', () => {
    const be32 = Buffer.alloc(8);
    be32.writeInt32BE(-7, 0);
    be32.writeInt32BE(1 << 20, 4);
    same(decodeItems(Buffer.concat([Buffer.from([0xd8, 74, 0x48]), be32])), [-7, 1 << 20]);
    const be64 = Buffer.alloc(16);
    be64.writeDoubleBE(-0, 0);
    be64.writeDoubleBE(2.5, 8);
    same(decodeItems(Buffer.concat([Buffer.from([0xd8, 82, 0x50]), be64])), [-0, 2.5]);
  });

  it('decodes arbitrary bytes to a list or a CodecError, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom([], [0xd8, 0x4e], [0xd8, 0x56], [0xd8, 0x4e, 0x58]), (tail, head) => {
        const bytes = Uint8Array.from([...head, ...tail]);
        try {
          const values = decodeItems(bytes);
          expect(typeof values.length).toBe('number');
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('encodeTaskPayload / decodeTaskPayload', () => {
  it('sends argument arrays as the CBOR array of them (starmap, apply)', () => {
    const bytes = encodeTaskPayload([[1], [2, 'b']], true);
    expect(hex(bytes)).toBe('8281018202' + '6162');
    expect(decodeTaskPayload(bytes)).toEqual({ spread: true, items: [[1], [2, 'b']] });
  });

  it('sends single arguments under SINGLE_ARGUMENTS_TAG, without an array per item', () => {
    const bytes = encodeTaskPayload([1, 'two', null, undefined, { three: 3n }], false);
    expect(hex(bytes.subarray(0, 5))).toBe('da' + SINGLE_ARGUMENTS_TAG.toString(16).padStart(8, '0'));
    const { spread, items } = decodeTaskPayload(bytes);
    expect(spread).toBe(false);
    expect(items).toEqual([1, 'two', null, undefined, { three: 3n }]);
    // Arrays as single arguments stay single arguments.
    expect(decodeTaskPayload(encodeTaskPayload([[1, 2], []], false))).toEqual({ spread: false, items: [[1, 2], []] });
  });

  it('packs many numeric single arguments after the tag', () => {
    const values = ints(125_000, 875_000);
    const bytes = encodeTaskPayload(values, false);
    expect(bytes.length).toBe(5 + 2 + 5 + 4 * values.length);
    const { spread, items } = decodeTaskPayload(bytes);
    expect(spread).toBe(false);
    expect(items).toBeInstanceOf(Int32Array);
    same(items, values);
    // Argument arrays are never packed.
    expect(Array.isArray(decodeTaskPayload(encodeTaskPayload(ints(50).map((i) => [i]), true)).items)).toBe(true);
  });

  it('still reads payloads written as arrays of argument arrays by any CBOR encoder', () => {
    expect(decodeTaskPayload(encodeValue([[1], [2]]))).toEqual({ spread: true, items: [[1], [2]] });
  });

  it('refuses what is not a task payload with a CodecError that says what is expected', () => {
    expect(() => decodeTaskPayload(encodeValue({ a: 1 }))).toThrow(/a task payload must be a CBOR array/);
    expect(() => decodeTaskPayload(encodeValue(7))).toThrow(CodecError);
    const tagged = encodeTaskPayload(ints(3), false);
    expect(() => decodeTaskPayload(tagged.subarray(0, 5))).toThrow(CodecError);
    expect(() => decodeTaskPayload(Uint8Array.from([...tagged.subarray(0, 5), 0x07]))).toThrow(CodecError);
    expect(() => decodeTaskPayload(Uint8Array.from([0xff, 0x00]))).toThrow(CodecError);
  });

  it('refuses values that have no encoding with a CodecError', () => {
    expect(() => encodeTaskPayload([() => 1], false)).toThrow(CodecError);
    expect(() => encodeItems([Symbol('x')])).toThrow(CodecError);
  });
});
