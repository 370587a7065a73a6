import { varintSize, writeVarint } from '../protocol/wire/index.ts';

/** Room left before the first task for the `JobRequest.inputs` tag and length (1 + up to 5 bytes). */
const HEADER_ROOM = 6;
const MIN_CAPACITY = 4096;
/** A buffer above this size, four times the last batch or more, is replaced by a small one. */
const SHRINK_ABOVE = 1024 * 1024;

/**
 * The next `JobRequest{inputs: TaskInputBatch}` message, encoded as tasks are added: each task's
 * fields are written into one growing buffer at once, byte for byte what
 * `pb.JobRequest.encode(...).finish()` would write for the same tasks.
 *
 * Holding the batch as `TaskInput` objects until it is sent kept a few objects per task alive
 * through the young-generation collections that a streamed job's allocation rate triggers
 * mid-batch; what survives them is what makes V8 grow its young generation (and the SDK's RSS)
 * on long jobs. The generic writer also allocated a buffer per task. Here a task leaves nothing
 * behind but its bytes.
 */
export class InputBatchBuilder {
  // Not from Node's shared pool: the buffer lives as long as the job stream.
  #buf = Buffer.allocUnsafeSlow(MIN_CAPACITY);
  #replaceBuffer = false;
  #at = HEADER_ROOM;
  #tasks = 0;
  #payloadBytes = 0;

  /** Tasks added since the last {@link finish}. */
  get tasks(): number {
    return this.#tasks;
  }

  /** Payload bytes added since the last {@link finish}. */
  get payloadBytes(): number {
    return this.#payloadBytes;
  }

  /** Appends one `TaskInput` (proto3: zero fields are left out, as the generated encoder does). */
  add(seq: number, payload: Uint8Array, items: number, firstIndex: number): void {
    let size = 0;
    if (seq !== 0) size += 1 + varintSize(seq);
    if (payload.length !== 0) size += 1 + varintSize(payload.length) + payload.length;
    if (items !== 0) size += 1 + varintSize(items);
    if (firstIndex !== 0) size += 1 + varintSize(firstIndex);
    this.#reserve(1 + varintSize(size) + size);
    const out = this.#buf;
    let at = this.#at;
    out[at++] = 0x0a; // TaskInputBatch.tasks = 1, length-delimited
    at = writeVarint(out, at, size);
    if (seq !== 0) {
      out[at++] = 0x08;
      at = writeVarint(out, at, seq);
    }
    if (payload.length !== 0) {
      out[at++] = 0x12;
      at = writeVarint(out, at, payload.length);
      out.set(payload, at);
      at += payload.length;
    }
    if (items !== 0) {
      out[at++] = 0x18;
      at = writeVarint(out, at, items);
    }
    if (firstIndex !== 0) {
      out[at++] = 0x20;
      at = writeVarint(out, at, firstIndex);
    }
    this.#at = at;
    this.#tasks++;
    this.#payloadBytes += payload.length;
  }

  /**
   * The encoded message of the tasks added so far, as a view into the builder's buffer: valid until
   * the next {@link add} (the caller copies it out), so one buffer serves every batch. The builder
   * starts over empty.
   */
  finish(): Buffer {
    const batchLength = this.#at - HEADER_ROOM;
    const start = HEADER_ROOM - 1 - varintSize(batchLength);
    this.#buf[start] = 0x12; // JobRequest.inputs = 2, length-delimited
    writeVarint(this.#buf, start + 1, batchLength);
    const message = this.#buf.subarray(start, this.#at);
    this.#at = HEADER_ROOM;
    this.#tasks = 0;
    this.#payloadBytes = 0;
    // A buffer grown for a burst of large inputs is not kept for the small batches after it.
    if (this.#buf.length > SHRINK_ABOVE && this.#buf.length > 4 * message.length) this.#replaceBuffer = true;
    return message;
  }

  /**
   * Like {@link finish}, but the message's buffer now belongs to the caller: the builder starts its
   * next batch in a new one. For a large message, which would otherwise be copied out whole.
   */
  finishOwned(): Buffer {
    const message = this.finish();
    this.#replaceBuffer = true;
    return message;
  }

  #reserve(bytes: number): void {
    if (this.#replaceBuffer) {
      // Only now: the view `finish` returned is still being read until the next `add`.
      this.#replaceBuffer = false;
      this.#buf = Buffer.allocUnsafeSlow(MIN_CAPACITY);
    }
    if (this.#at + bytes <= this.#buf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.#buf.length * 2, this.#at + bytes));
    this.#buf.copy(grown, 0, 0, this.#at);
    this.#buf = grown;
  }
}
