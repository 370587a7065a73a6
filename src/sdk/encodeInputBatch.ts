import type { pb } from '../protocol/index.ts';
import { varintSize, writeVarint } from '../protocol/wire/index.ts';

/**
 * `JobRequest{inputs: TaskInputBatch{tasks}}` in protobuf wire format, byte for byte what
 * `pb.JobRequest.encode(...).finish()` writes, into one buffer sized up front.
 *
 * The generic writer forks per nested message and copies every task's payload into a buffer of
 * its own before concatenating them all again: one off-heap allocation per task. A streamed job
 * sends millions of tasks, and that churn of small malloc'd buffers (interleaved with the message
 * buffers) is a large part of what fragments the SDK's malloc heap and raises its RSS.
 */
export function encodeInputBatch(tasks: readonly pb.TaskInput[]): Buffer {
  let batchLength = 0;
  for (const t of tasks) {
    const size = taskInputSize(t);
    batchLength += 1 + varintSize(size) + size;
  }
  const out = Buffer.allocUnsafe(1 + varintSize(batchLength) + batchLength);
  out[0] = 0x12; // JobRequest.inputs = 2, length-delimited
  let at = writeVarint(out, 1, batchLength);
  for (const t of tasks) {
    out[at++] = 0x0a; // TaskInputBatch.tasks = 1, length-delimited
    at = writeVarint(out, at, taskInputSize(t));
    // Fields in number order; zeros are left out, as proto3 (and ts-proto) do.
    if (t.seq !== 0) {
      out[at++] = 0x08;
      at = writeVarint(out, at, t.seq);
    }
    if (t.payload.length !== 0) {
      out[at++] = 0x12;
      at = writeVarint(out, at, t.payload.length);
      out.set(t.payload, at);
      at += t.payload.length;
    }
    if (t.items !== 0) {
      out[at++] = 0x18;
      at = writeVarint(out, at, t.items);
    }
    if (t.firstIndex !== 0) {
      out[at++] = 0x20;
      at = writeVarint(out, at, t.firstIndex);
    }
  }
  return out;
}

function taskInputSize(t: pb.TaskInput): number {
  let size = 0;
  if (t.seq !== 0) size += 1 + varintSize(t.seq);
  if (t.payload.length !== 0) size += 1 + varintSize(t.payload.length) + t.payload.length;
  if (t.items !== 0) size += 1 + varintSize(t.items);
  if (t.firstIndex !== 0) size += 1 + varintSize(t.firstIndex);
  return size;
}
