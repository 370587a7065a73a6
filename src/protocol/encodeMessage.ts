import { BinaryWriter } from '@bufbuild/protobuf/wire';

/** A generated (ts-proto) message type's encoder. */
export interface MessageEncoder<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
}

/** A writer that grew for messages up to this size is kept for good. */
const ALWAYS_KEPT_BYTES = 1024 * 1024;
/** ...one grown for larger messages is kept while they keep coming, up to this size... */
const MAX_KEPT_BYTES = 64 * 1024 * 1024;
/** ...and dropped once no such message was encoded for this long. */
const RELEASE_IDLE_MS = 2000;

let writer = new BinaryWriter();
/** Whether a message past {@link ALWAYS_KEPT_BYTES} was encoded since the release timer last fired. */
let largeSinceCheck = false;
let releaseTimer: NodeJS.Timeout | undefined;

/**
 * Encodes a message into a `Buffer` with one writer reused for every message. The generated serializers
 * start a fresh writer per message, which grows from 128 bytes by doubling (an allocation and a copy
 * each time) and is then copied twice more (`finish()` and `Buffer.from`); on the streams that carry
 * every task that was a tenth of the coordinator's CPU with many agents, plus the garbage it left.
 * Encoding is synchronous, so sharing the writer is safe.
 *
 * A writer grown for large messages (task inputs or results of MiBs) is kept while they keep coming:
 * a fresh one allocates, zero-fills and copies into a buffer up to twice the message's size each time,
 * and that churn of external memory is what drives V8's full collections on such streams (~40 ms of CPU
 * each in `drover local`, one per ~64 MiB allocated).
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
  if (bytes.byteLength > ALWAYS_KEPT_BYTES) keepForLargeMessages(bytes.byteLength);
  // finish() returned a copy of its own: wrap it without copying again.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function keepForLargeMessages(size: number): void {
  // Its buffer may be up to twice this: beyond the cap, one huge message does not pin it.
  if (size > MAX_KEPT_BYTES / 2) {
    writer = new BinaryWriter();
    return;
  }
  largeSinceCheck = true;
  if (releaseTimer === undefined) {
    releaseTimer = setTimeout(releaseWhenIdle, RELEASE_IDLE_MS);
    // Nothing to release at exit.
    releaseTimer.unref();
  }
}

function releaseWhenIdle(): void {
  releaseTimer = undefined;
  if (largeSinceCheck) {
    largeSinceCheck = false;
    releaseTimer = setTimeout(releaseWhenIdle, RELEASE_IDLE_MS);
    releaseTimer.unref();
  } else {
    writer = new BinaryWriter();
  }
}
