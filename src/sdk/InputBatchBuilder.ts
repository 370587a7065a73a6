import { varintSize, writeVarint } from '../protocol/wire/index.ts';

/** Room left before the first task for the `JobRequest.inputs` tag and length (1 + up to 5 bytes). */
const HEADER_ROOM = 6;
const MIN_CAPACITY = 4096;

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
  #buf = Buffer.allocUnsafe(MIN_CAPACITY);
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

  /** The encoded message of the tasks added so far (a buffer of its own); the builder starts over empty. */
  finish(): Buffer {
    const batchLength = this.#at - HEADER_ROOM;
    const start = HEADER_ROOM - 1 - varintSize(batchLength);
    this.#buf[start] = 0x12; // JobRequest.inputs = 2, length-delimited
    writeVarint(this.#buf, start + 1, batchLength);
    const used = this.#at - start;
    const view = this.#buf.subarray(start, this.#at);
    // The message is kept until the coordinator holds its tasks (the replay buffer): not with a
    // quarter or more of its buffer unused, so then it is copied out and the buffer reused.
    const copy = this.#buf.length - used >= used / 3;
    const message = copy ? Buffer.from(view) : view;
    // The next batch is likely the size of this one (a much larger buffer is not kept for it).
    const capacity = Math.max(MIN_CAPACITY, HEADER_ROOM + batchLength + (batchLength >>> 3));
    if (!copy || this.#buf.length < capacity || this.#buf.length > 4 * capacity) this.#buf = Buffer.allocUnsafe(capacity);
    this.#at = HEADER_ROOM;
    this.#tasks = 0;
    this.#payloadBytes = 0;
    return message;
  }

  #reserve(bytes: number): void {
    if (this.#at + bytes <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + bytes));
    this.#buf.copy(grown, 0, 0, this.#at);
    this.#buf = grown;
  }
}
