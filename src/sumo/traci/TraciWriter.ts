import { TRACI } from './TRACI.ts';

/**
 * Builds the big-endian payload of a TraCI command. Strings are UTF-8, which is what SUMO keeps
 * internally for ids read from XML (Python's client uses latin-1, equal for ASCII ids).
 */
export class TraciWriter {
  #buffer = Buffer.allocUnsafe(64);
  #length = 0;

  /** Makes room and returns where to write. Call it before reading `#buffer`: it may replace it. */
  #reserve(bytes: number): number {
    const at = this.#length;
    if (at + bytes > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, at + bytes));
      this.#buffer.copy(grown, 0, 0, at);
      this.#buffer = grown;
    }
    this.#length += bytes;
    return at;
  }

  ubyte(value: number): this {
    const at = this.#reserve(1);
    this.#buffer.writeUInt8(value, at);
    return this;
  }

  byte(value: number): this {
    const at = this.#reserve(1);
    this.#buffer.writeInt8(value, at);
    return this;
  }

  int(value: number): this {
    const at = this.#reserve(4);
    this.#buffer.writeInt32BE(value, at);
    return this;
  }

  double(value: number): this {
    const at = this.#reserve(8);
    this.#buffer.writeDoubleBE(value, at);
    return this;
  }

  /** int32 byte length, then the bytes. */
  string(value: string): this {
    const bytes = Buffer.from(value, 'utf8');
    this.int(bytes.length);
    const at = this.#reserve(bytes.length);
    bytes.copy(this.#buffer, at);
    return this;
  }

  stringList(values: readonly string[]): this {
    this.int(values.length);
    for (const value of values) this.string(value);
    return this;
  }

  typedInt(value: number): this {
    return this.ubyte(TRACI.type.int).int(value);
  }

  typedDouble(value: number): this {
    return this.ubyte(TRACI.type.double).double(value);
  }

  typedString(value: string): this {
    return this.ubyte(TRACI.type.string).string(value);
  }

  /** A copy of what has been written. */
  toBuffer(): Buffer {
    return Buffer.from(this.#buffer.subarray(0, this.#length));
  }
}
