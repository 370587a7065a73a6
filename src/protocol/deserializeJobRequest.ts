import * as pb from './pb.ts';
import { FastPathReader, NOT_FAST } from './wire/index.ts';

/** `JobRequest.inputs` (field 2, length-delimited). */
const INPUTS_TAG = 0x12;
/** `TaskInputBatch.tasks` (field 1, length-delimited). */
const TASK_TAG = 0x0a;

/**
 * The `Jobs.Run` request deserializer: what `pb.JobRequest.decode(bytes)` returns (or throws). A batch of
 * task inputs — every task a client submits — is read by a loop written for its one shape, at about a
 * quarter of the generated decoder's cost on `drover local`'s main thread (it took ~5 % there on 20k no-op
 * tasks); anything else in such a message (unknown fields, wrong wire types, two-byte tags, varints past
 * 2^49, items past 2^32, truncation) and every other message go to the generated decoder, so its answer
 * is the only one.
 */
export function deserializeJobRequest(bytes: Buffer): pb.JobRequest {
  if (bytes.length > 0 && bytes[0] === INPUTS_TAG) {
    const tasks = readInputs(new FastPathReader(bytes, 1));
    if (tasks !== undefined) return { msg: { $case: 'inputs', value: { tasks } } };
  }
  return pb.JobRequest.decode(bytes);
}

/** The tasks of a message that is exactly one `inputs` field, or undefined. */
function readInputs(r: FastPathReader): pb.TaskInput[] | undefined {
  const end = r.bytes.length;
  const size = r.varint(end);
  if (size === NOT_FAST || r.pos + size !== end) return undefined;
  const tasks: pb.TaskInput[] = [];
  while (r.pos < end) {
    if (r.bytes[r.pos++] !== TASK_TAG) return undefined;
    const n = r.length(end);
    if (n === NOT_FAST) return undefined;
    const task = readTaskInput(r, r.pos + n);
    if (task === undefined) return undefined;
    tasks.push(task);
  }
  return tasks;
}

/** The `TaskInput` in the reader's bytes up to `end`, or undefined for anything but its four known fields. */
function readTaskInput(r: FastPathReader, end: number): pb.TaskInput | undefined {
  let seq = 0;
  let payload: Buffer | undefined;
  let items = 0;
  let firstIndex = 0;
  while (r.pos < end) {
    const tag = r.bytes[r.pos++];
    if (tag === 18) {
      const n = r.length(end);
      if (n === NOT_FAST) return undefined;
      // A copy, as the generated decoder makes: a task must not keep the whole message alive.
      payload = r.copy(n);
      continue;
    }
    if (tag !== 8 && tag !== 24 && tag !== 32) return undefined;
    const value = r.varint(end);
    if (value === NOT_FAST) return undefined;
    if (tag === 8) seq = value;
    else if (tag === 32) firstIndex = value;
    else if (value < 2 ** 32) items = value;
    else return undefined;
  }
  // The generated decoder's property order (one hidden class for every input).
  return { seq, payload: payload ?? Buffer.alloc(0), items, firstIndex };
}
