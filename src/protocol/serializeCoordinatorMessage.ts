import { encodeMessage } from './encodeMessage.ts';
import * as pb from './pb.ts';
import { utf8Length, varintSize, writeUtf8, writeVarint } from './wire/index.ts';

/** Pre-encoded `job_id` and `function` fields are kept for this many distinct jobs (then the map starts over). */
const MAX_CACHED = 1024;

/** Per job id: its `Assignment.job_id` field (tag, length, UTF-8). */
let jobIdFields = new Map<string, Buffer>();
/** Per function reference (the scheduler passes one object per job, never changed): its `Assignment.function` field. */
let functionFields = new WeakMap<pb.FunctionRef, Buffer>();
let cachedFunctions = 0;

function stringField(tag: number, value: string): Buffer {
  const length = Buffer.byteLength(value);
  const out = Buffer.allocUnsafeSlow(1 + varintSize(length) + length);
  out[0] = tag;
  const at = writeVarint(out, 1, length);
  out.write(value, at);
  return out;
}

// The last field looked up of each kind: a batch's assignments are mostly of one job, and each is
// looked up twice (sized, then written).
let lastJobId = '';
let lastJobIdField: Buffer | undefined;
let lastFunction: pb.FunctionRef | undefined;
let lastFunctionField: Buffer | undefined;

function jobIdField(jobId: string): Buffer {
  if (jobId === lastJobId && lastJobIdField !== undefined) return lastJobIdField;
  let field = jobIdFields.get(jobId);
  if (field === undefined) {
    if (jobIdFields.size >= MAX_CACHED) jobIdFields = new Map();
    field = stringField(18, jobId);
    jobIdFields.set(jobId, field);
  }
  lastJobId = jobId;
  lastJobIdField = field;
  return field;
}

function functionField(ref: pb.FunctionRef): Buffer {
  if (ref === lastFunction && lastFunctionField !== undefined) return lastFunctionField;
  let field = functionFields.get(ref);
  if (field === undefined) {
    if (cachedFunctions >= MAX_CACHED) {
      functionFields = new WeakMap();
      cachedFunctions = 0;
    }
    const body = pb.FunctionRef.encode(ref).finish();
    field = Buffer.allocUnsafeSlow(1 + varintSize(body.length) + body.length);
    field[0] = 42;
    field.set(body, writeVarint(field, 1, body.length));
    functionFields.set(ref, field);
    cachedFunctions += 1;
  }
  lastFunction = ref;
  lastFunctionField = field;
  return field;
}

/** Bytes of a varint field with a one-byte tag (0 when proto3 leaves a zero out). */
const varintField = (n: number): number => (n === 0 ? 0 : 1 + varintSize(n));

/** Writes a one-byte tag and a varint at `at` unless `n` is 0 (proto3); returns the offset after them. */
function writeVarintField(out: Buffer, at: number, tag: number, n: number): number {
  if (n === 0) return at;
  out[at] = tag;
  return writeVarint(out, at + 1, n);
}

/**
 * Encodes a `CoordinatorMessage` — byte for byte what `pb.CoordinatorMessage.encode(...).finish()` writes —
 * as the `Agents.Connect` response serializer. Assignments, which carry every task to every agent, take a
 * fast path: one buffer sized up front, and each job's id and function reference (the same in every
 * assignment of the job, 100+ bytes) copied from bytes encoded once rather than UTF-8-encoded per task.
 * With 1,000 agents of 2 slots the generic writer's encoding was a tenth of the coordinator's CPU.
 * Other messages go through {@link encodeMessage}.
 */
export function serializeCoordinatorMessage(message: pb.CoordinatorMessage): Buffer {
  if (message.msg?.$case !== 'assign') return encodeMessage(pb.CoordinatorMessage, message);
  const batch = message.msg.value;
  const tasks = batch.tasks;
  const sizes = new Array<number>(tasks.length);
  let batchSize = 0;
  for (let i = 0; i < tasks.length; i++) {
    const t = tasks[i]!;
    const attemptId = utf8Length(t.attemptId);
    let size = attemptId === 0 ? 0 : 1 + varintSize(attemptId) + attemptId;
    if (t.jobId !== '') size += jobIdField(t.jobId).length;
    size += varintField(t.seq) + varintField(t.attempt);
    if (t.function !== undefined) size += functionField(t.function).length;
    if (t.payload.length !== 0) size += 1 + varintSize(t.payload.length) + t.payload.length;
    size += varintField(t.items) + varintField(t.timeoutMs) + varintField(t.slots) + varintField(t.firstIndex) + varintField(t.resultWaitMs);
    sizes[i] = size;
    batchSize += 1 + varintSize(size) + size;
  }
  for (const id of batch.acceptedAttemptIds) {
    const n = utf8Length(id);
    batchSize += 1 + varintSize(n) + n;
  }
  const out = Buffer.allocUnsafe(1 + varintSize(batchSize) + batchSize);
  out[0] = 18; // CoordinatorMessage.assign
  let at = writeVarint(out, 1, batchSize);
  for (let i = 0; i < tasks.length; i++) {
    const t = tasks[i]!;
    out[at++] = 10; // AssignBatch.tasks
    at = writeVarint(out, at, sizes[i]!);
    if (t.attemptId !== '') {
      out[at++] = 10;
      const n = utf8Length(t.attemptId);
      at = writeUtf8(out, writeVarint(out, at, n), t.attemptId, n);
    }
    if (t.jobId !== '') at += jobIdField(t.jobId).copy(out, at);
    at = writeVarintField(out, at, 24, t.seq);
    at = writeVarintField(out, at, 32, t.attempt);
    if (t.function !== undefined) at += functionField(t.function).copy(out, at);
    if (t.payload.length !== 0) {
      out[at++] = 50;
      at = writeVarint(out, at, t.payload.length);
      out.set(t.payload, at);
      at += t.payload.length;
    }
    at = writeVarintField(out, at, 56, t.items);
    at = writeVarintField(out, at, 64, t.timeoutMs);
    at = writeVarintField(out, at, 72, t.slots);
    at = writeVarintField(out, at, 80, t.firstIndex);
    at = writeVarintField(out, at, 88, t.resultWaitMs);
  }
  for (const id of batch.acceptedAttemptIds) {
    out[at++] = 18; // AssignBatch.accepted_attempt_ids
    const n = utf8Length(id);
    at = writeUtf8(out, writeVarint(out, at, n), id, n);
  }
  return out;
}
