import type { LastRead } from './LastRead.ts';
import { NOT_FAST } from './NOT_FAST.ts';

/**
 * A cursor over protobuf bytes for the hand-written decoders' fast paths (`deserializeJobRequest`,
 * `deserializeCoordinatorMessage`). It reads only what those paths expect and answers {@link NOT_FAST} for
 * anything else, so that they can hand the whole message to the generated decoder, whose answer is then
 * the only one.
 */
export class FastPathReader {
  readonly bytes: Buffer;
  /** Offset of the next byte to read. */
  pos: number;

  constructor(bytes: Buffer, pos = 0) {
    this.bytes = bytes;
    this.pos = pos;
  }

  /**
   * A varint of at most 7 bytes ending before `end`, or {@link NOT_FAST} (a longer one, or one that runs
   * past `end`). Below 2^49, every uint64 and uint32 field decodes to the number the generated decoder
   * gives (a uint32 only below 2^32: the caller checks).
   */
  varint(end: number): number {
    const bytes = this.bytes;
    let at = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7 && at < end; i++) {
      const b = bytes[at++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = at;
        return value;
      }
      scale *= 0x80;
    }
    return NOT_FAST;
  }

  /** The length of a length-delimited field's body ending by `end` (the cursor then at its start), or {@link NOT_FAST}. */
  length(end: number): number {
    const n = this.varint(end);
    return n === NOT_FAST || this.pos + n > end ? NOT_FAST : n;
  }

  /** A copy of the next `n` bytes (a buffer of its own, not a view keeping the message alive). */
  copy(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    const bytes = this.bytes;
    const at = this.pos;
    if (n <= 64) {
      for (let i = 0; i < n; i++) out[i] = bytes[at + i]!;
    } else {
      out.set(bytes.subarray(at, at + n));
    }
    this.pos = at + n;
    return out;
  }

  /**
   * The next `n` bytes as a string if they are all ASCII, else undefined (the generated decoder's UTF-8
   * decoding, with its replacement of invalid sequences, is left to it).
   */
  ascii(n: number): string | undefined {
    const bytes = this.bytes;
    const end = this.pos + n;
    if (n <= 32) {
      let s = '';
      for (let i = this.pos; i < end; i++) {
        const b = bytes[i]!;
        if (b >= 0x80) return undefined;
        s += String.fromCharCode(b);
      }
      this.pos = end;
      return s;
    }
    for (let i = this.pos; i < end; i++) if (bytes[i]! >= 0x80) return undefined;
    const s = bytes.toString('latin1', this.pos, end);
    this.pos = end;
    return s;
  }

  /**
   * The value of the next `n` bytes: `last`'s when they are the bytes it was read from, else what `read`
   * makes of them (undefined: not for the fast path), which `last` then remembers. `read` is given this
   * reader at the field's start and the field's end.
   */
  readRemembered<T>(n: number, last: LastRead<T>, read: (r: FastPathReader, end: number) => T | undefined): T | undefined {
    const start = this.pos;
    if (last.value !== undefined && this.#equals(last.bytes, n)) {
      this.pos = start + n;
      return last.value;
    }
    const value = read(this, start + n);
    if (value === undefined || this.pos !== start + n) return undefined;
    last.bytes = Buffer.from(this.bytes.subarray(start, start + n));
    last.value = value;
    return value;
  }

  /** Whether the next `n` bytes equal `same`. */
  #equals(same: Uint8Array, n: number): boolean {
    if (same.length !== n) return false;
    const bytes = this.bytes;
    const at = this.pos;
    for (let i = 0; i < n; i++) if (bytes[at + i] !== same[i]) return false;
    return true;
  }
}
