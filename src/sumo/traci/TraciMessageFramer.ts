import { TraciProtocolError } from './TraciProtocolError.ts';

/** No reply drover asks for comes near this; a larger length prefix means the stream is garbage. */
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** Cuts the socket's byte stream into whole TraCI messages (each starts with its int32 total length). */
export class TraciMessageFramer {
  #pending: Buffer = Buffer.alloc(0);

  /** Adds received bytes and returns the messages they complete, each with its length prefix. */
  push(chunk: Buffer): Buffer[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const messages: Buffer[] = [];
    while (this.#pending.length >= 4) {
      const length = this.#pending.readInt32BE(0);
      if (length < 4 || length > MAX_REPLY_BYTES) {
        throw new TraciProtocolError(`TraCI message length ${length} is out of range`);
      }
      if (this.#pending.length < length) break;
      messages.push(this.#pending.subarray(0, length));
      this.#pending = this.#pending.subarray(length);
    }
    return messages;
  }

  /** Bytes received of a message not yet complete. */
  get partialBytes(): number {
    return this.#pending.length;
  }

  /** Total length of the incomplete message, once its prefix has arrived. */
  get expectedBytes(): number | undefined {
    return this.#pending.length >= 4 ? this.#pending.readInt32BE(0) : undefined;
  }
}
