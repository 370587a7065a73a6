import { TRACI } from './TRACI.ts';
import { TraciProtocolError } from './TraciProtocolError.ts';
import type { TraciValue } from './TraciValue.ts';

/** Reads big-endian TraCI data from one reply message, refusing to read past its end. */
export class TraciReader {
  readonly #data: Buffer;
  #at: number;
  readonly #end: number;

  constructor(data: Buffer, start = 0, end = data.length) {
    this.#data = data;
    this.#at = start;
    this.#end = end;
  }

  get offset(): number {
    return this.#at;
  }

  get remaining(): number {
    return this.#end - this.#at;
  }

  #take(bytes: number, what: string): number {
    if (bytes < 0 || this.#at + bytes > this.#end) {
      throw new TraciProtocolError(`TraCI reply too short: wanted ${bytes} bytes for ${what} at offset ${this.#at}, ${this.remaining} left`);
    }
    const at = this.#at;
    this.#at += bytes;
    return at;
  }

  ubyte(): number {
    return this.#data.readUInt8(this.#take(1, 'ubyte'));
  }

  byte(): number {
    return this.#data.readInt8(this.#take(1, 'byte'));
  }

  int(): number {
    return this.#data.readInt32BE(this.#take(4, 'int'));
  }

  double(): number {
    return this.#data.readDoubleBE(this.#take(8, 'double'));
  }

  string(): string {
    const length = this.int();
    const at = this.#take(length, 'string');
    return this.#data.toString('utf8', at, at + length);
  }

  stringList(): string[] {
    const count = this.int();
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(this.string());
    return out;
  }

  /**
   * Reads a command's length prefix (short ubyte form, or 0 + int32 long form) and returns the
   * offset where the command ends, so the caller can check it consumed exactly the command.
   */
  commandEnd(): number {
    const start = this.#at;
    const short = this.ubyte();
    const length = short > 0 ? short : this.int();
    const end = start + length;
    if (length < 2 || end > this.#end) {
      throw new TraciProtocolError(`TraCI command length ${length} at offset ${start} does not fit the reply (${this.#end - start} bytes left)`);
    }
    return end;
  }

  /** Skips to `offset`, the end of a command whose tail the client does not read. */
  seek(offset: number): void {
    if (offset < this.#at || offset > this.#end) throw new TraciProtocolError(`TraCI reply: cannot seek to ${offset}`);
    this.#at = offset;
  }

  /** A type tag followed by its value. */
  typedValue(): TraciValue {
    const type = this.ubyte();
    switch (type) {
      case TRACI.type.ubyte:
        return this.ubyte();
      case TRACI.type.byte:
        return this.byte();
      case TRACI.type.int:
        return this.int();
      case TRACI.type.double:
        return this.double();
      case TRACI.type.string:
        return this.string();
      case TRACI.type.stringList:
        return this.stringList();
      case TRACI.type.doubleList: {
        const count = this.int();
        const out: number[] = [];
        for (let i = 0; i < count; i++) out.push(this.double());
        return out;
      }
      case TRACI.type.compound: {
        const count = this.int();
        const out: TraciValue[] = [];
        for (let i = 0; i < count; i++) out.push(this.typedValue());
        return out;
      }
      default:
        throw new TraciProtocolError(`TraCI reply: value type 0x${type.toString(16).padStart(2, '0')} is not supported by drover's client`);
    }
  }
}
