import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Length, writeUtf8 } from '../../../src/protocol/wire/index.ts';

describe('utf8Length and writeUtf8', () => {
  it('count and write what Buffer does, for ASCII and any other string (lone surrogates too)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.constantFrom('\ud800', 'a\udc00b', 'b1.zz')), fc.nat({ max: 4 }), (s, at) => {
        const n = utf8Length(s);
        expect(n).toBe(Buffer.byteLength(s));
        const out = Buffer.alloc(at + n + 2, 0xee);
        expect(writeUtf8(out, at, s, n)).toBe(at + n);
        expect(out.subarray(at, at + n).equals(Buffer.from(s))).toBe(true);
        // Nothing written outside its bytes.
        expect(out.subarray(0, at).every((b) => b === 0xee) && out.subarray(at + n).every((b) => b === 0xee)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
