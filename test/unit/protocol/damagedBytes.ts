import fc from 'fast-check';
import { expect } from 'vitest';

/**
 * Encoded messages with one byte changed, the end cut off, or bytes appended (unknown fields, more
 * fields, garbage): what a hand-written decoder's fast path must hand to the generated decoder.
 */
export function damagedBytes<T>(message: fc.Arbitrary<T>, encode: (m: T) => Buffer): fc.Arbitrary<Buffer> {
  const flipped = fc.tuple(message, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([m, i, b]) => {
    const bytes = encode(m);
    if (bytes.length > 0) bytes[i % bytes.length] = b;
    return bytes;
  });
  const cut = fc.tuple(message, fc.nat()).map(([m, n]) => {
    const bytes = encode(m);
    return bytes.subarray(0, bytes.length - (n % (bytes.length + 1)));
  });
  const extended = fc.tuple(message, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([m, extra]) => Buffer.concat([encode(m), extra]));
  return fc.oneof(flipped, cut, extended);
}

/** What a decoder answers for `bytes`: the message, or its error's message. */
export function answerOf<T>(decode: (bytes: Buffer) => T, bytes: Buffer): T | string {
  try {
    return decode(bytes);
  } catch (error) {
    return (error as Error).message;
  }
}

/** Checks that `ours` answers as `generated` for every damaged encoding of `message` (see {@link damagedBytes}). */
export function expectSameAnswers<T, M>(message: fc.Arbitrary<T>, encode: (m: T) => Buffer, ours: (bytes: Buffer) => M, generated: (bytes: Buffer) => M): void {
  fc.assert(
    fc.property(damagedBytes(message, encode), (bytes) => {
      expect(answerOf(ours, bytes)).toEqual(answerOf(generated, bytes));
    }),
    { numRuns: 3000 },
  );
}
