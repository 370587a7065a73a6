import * as pb from './pb.ts';

/** `JobRequest.inputs` (field 2, length-delimited). */
const INPUTS_TAG = 0x12;
/** `TaskInputBatch.tasks` (field 1, length-delimited). */
const TASK_TAG = 0x0a;
/** Not a value: the fast path met something it leaves to the generated decoder. */
const OTHER = -1;

// The offset after the last varint read by readShortVarint (module state: decoding is synchronous).
let next = 0;

/**
 * A varint of at most 7 bytes (below 2^49, so any uint64 or uint32 field it holds decodes the same
 * as the generated decoder decodes it) at `at`, or {@link OTHER} for a longer one or one that runs past
 * `end`; sets {@link next}.
 */
function readShortVarint(bytes: Uint8Array, at: number, end: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 7 && at < end; i++) {
    const b = bytes[at++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      next = at;
      return value;
    }
    scale *= 0x80;
  }
  return OTHER;
}

/** The `TaskInput` in `bytes[at, end)`, or undefined for anything but its four known fields. */
function readTaskInput(bytes: Buffer, at: number, end: number): pb.TaskInput | undefined {
  let seq = 0;
  let payload: Buffer | undefined;
  let items = 0;
  let firstIndex = 0;
  while (at < end) {
    const tag = bytes[at++];
    if (tag === 18) {
      const length = readShortVarint(bytes, at, end);
      if (length === OTHER || next + length > end) return undefined;
      // A copy, as the generated decoder makes: a task must not keep the whole message alive.
      payload = Buffer.from(bytes.subarray(next, next + length));
      at = next + length;
      continue;
    }
    if (tag !== 8 && tag !== 24 && tag !== 32) return undefined;
    const value = readShortVarint(bytes, at, end);
    if (value === OTHER) return undefined;
    at = next;
    if (tag === 8) seq = value;
    else if (tag === 32) firstIndex = value;
    else if (value < 2 ** 32) items = value;
    else return undefined;
  }
  // The generated decoder's property order (one hidden class for every input).
  return { seq, payload: payload ?? Buffer.alloc(0), items, firstIndex };
}

/**
 * The `Jobs.Run` request deserializer: what `pb.JobRequest.decode(bytes)` returns (or throws). A batch of
 * task inputs — every task a client submits — is read by a loop written for its one shape, at about a
 * third of the generated decoder's cost on `drover local`'s main thread (it took ~5 % there on 20k no-op
 * tasks); anything else in such a message (unknown fields, repeated or merged parts, varints past 2^49,
 * truncation) and every other message go to the generated decoder, so its answer is the only one.
 */
export function deserializeJobRequest(bytes: Buffer): pb.JobRequest {
  if (bytes.length > 0 && bytes[0] === INPUTS_TAG) {
    const tasks = readInputs(bytes);
    if (tasks !== undefined) return { msg: { $case: 'inputs', value: { tasks } } };
  }
  return pb.JobRequest.decode(bytes);
}

/** The tasks of a message that is exactly one `inputs` field, or undefined. */
function readInputs(bytes: Buffer): pb.TaskInput[] | undefined {
  const length = readShortVarint(bytes, 1, bytes.length);
  if (length === OTHER || next + length !== bytes.length) return undefined;
  const tasks: pb.TaskInput[] = [];
  let at = next;
  while (at < bytes.length) {
    if (bytes[at] !== TASK_TAG) return undefined;
    const size = readShortVarint(bytes, at + 1, bytes.length);
    if (size === OTHER || next + size > bytes.length) return undefined;
    const start = next;
    const task = readTaskInput(bytes, start, start + size);
    if (task === undefined) return undefined;
    tasks.push(task);
    at = start + size;
  }
  return tasks;
}
