import { BinaryWriter } from '@bufbuild/protobuf/wire';

/** A generated (ts-proto) message type's encoder. */
export interface MessageEncoder<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
}

/** A writer that grew past this after a message is replaced, so one huge message does not pin its buffer. */
const MAX_KEPT_BYTES = 1024 * 1024;

let writer = new BinaryWriter();

/**
 * Encodes a message into a `Buffer` with one writer reused for every message. The generated serializers
 * start a fresh writer per message, which grows from 128 bytes by doubling (an allocation and a copy
 * each time) and is then copied twice more (`finish()` and `Buffer.from`); on the streams that carry
 * every task that was a tenth of the coordinator's CPU with many agents, plus the garbage it left.
 * Encoding is synchronous, so sharing the writer is safe.
 */
export function encodeMessage<T>(type: MessageEncoder<T>, message: T): Buffer {
  let bytes: Uint8Array;
  try {
    bytes = type.encode(message, writer).finish();
  } catch (error) {
    // A half-written message leaves the writer mid-fork: start over with a clean one.
    writer = new BinaryWriter();
    throw error;
  }
  if (bytes.byteLength > MAX_KEPT_BYTES) writer = new BinaryWriter();
  // finish() returned a copy of its own: wrap it without copying again.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
