import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue } from '../../../src/protocol/index.ts';

const roundTrip = <T>(v: T): T => decodeValue<T>(encodeValue(v));

describe('value codec', () => {
  it('round-trips plain data', () => {
    const v = { a: 1, b: -2.5, s: 'x', t: true, f: false, n: null, list: [1, [2, [3]]], o: { deep: { er: 'y' } } };
    expect(roundTrip(v)).toEqual(v);
  });

  it('keeps bigint apart from number', () => {
    expect(roundTrip(5n)).toBe(5n);
    expect(roundTrip(-5n)).toBe(-5n);
    expect(roundTrip(2n ** 64n + 1n)).toBe(2n ** 64n + 1n);
    expect(roundTrip(5)).toBe(5);
    expect(roundTrip(2 ** 40)).toBe(2 ** 40);
    expect(typeof roundTrip(2 ** 53 - 1)).toBe('number');
  });

  it('round-trips Date, Uint8Array and typed arrays with their types', () => {
    const d = roundTrip(new Date(1_700_000_000_123));
    expect(d).toBeInstanceOf(Date);
    expect(d.getTime()).toBe(1_700_000_000_123);
    const bytes = roundTrip(new Uint8Array([1, 2, 3]));
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect([...bytes]).toEqual([1, 2, 3]);
    for (const arr of [new Float32Array([1.5]), new Float64Array([2.5]), new Int16Array([-3]), new Uint32Array([4]), new BigInt64Array([5n])]) {
      const back = roundTrip(arr);
      expect(back.constructor).toBe(arr.constructor);
      expect([...(back as Iterable<unknown>)]).toEqual([...(arr as Iterable<unknown>)]);
    }
  });

  it('writes standard CBOR a generic decoder can read (no record extension)', () => {
    // {"a": 1} as a definite-length CBOR map: a1 61 61 01, or the cbor-x 16-bit-length map b9 0001 ...
    const hex = Buffer.from(encodeValue({ a: 1 })).toString('hex');
    expect(hex === 'a1616101' || hex === 'b90001616101').toBe(true);
    // Arrays of argument arrays, the task payload shape.
    expect(Buffer.from(encodeValue([[1], [2]])).toString('hex')).toBe('82810181' + '02');
  });
});
