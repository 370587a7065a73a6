import * as pb from './pb.ts';
import { FastPathReader, LastRead, NOT_FAST } from './wire/index.ts';

/** `CoordinatorMessage.assign` (field 2, length-delimited). */
const ASSIGN_TAG = 0x12;
/** The payload of an assignment without one (nothing changes a decoded assignment). */
const EMPTY = Buffer.alloc(0);

// The last job id and function reference read, by their bytes: a batch's assignments are mostly of one
// job, and each carries both (100+ bytes), which become one string and one object shared by all of them
// instead of a string and an object per task. (Nothing changes a decoded assignment.)
const lastJobId = new LastRead<string>();
const lastFunction = new LastRead<pb.FunctionRef>();

/**
 * The agent's `Agents.Connect` response deserializer: what `pb.CoordinatorMessage.decode(bytes)` returns
 * (or throws), with assignment batches — every task an agent runs — read by a loop written for their one
 * shape (`serializeCoordinatorMessage` writes them). On the cluster path (agent in its own process) the
 * generated decoder took ~9 % of the agent's main thread on 20k no-op tasks, and what it allocated per task
 * (a function reference, job id, digest and export name strings) a good part of its collections.
 * Anything the fast path does not expect (unknown fields, wrong wire types, two-byte tags, varints past
 * 2^49, uint32 fields past 2^32, non-ASCII strings, truncation) and every other message go to the
 * generated decoder, so its answer is the only one.
 */
export function deserializeCoordinatorMessage(bytes: Buffer): pb.CoordinatorMessage {
  if (bytes.length > 0 && bytes[0] === ASSIGN_TAG) {
    const batch = readAssignBatch(new FastPathReader(bytes, 1));
    if (batch !== undefined) return { msg: { $case: 'assign', value: batch } };
  }
  return pb.CoordinatorMessage.decode(bytes);
}

/** The batch of a message that is exactly one `assign` field, or undefined. */
function readAssignBatch(r: FastPathReader): pb.AssignBatch | undefined {
  const end = r.bytes.length;
  const size = r.varint(end);
  if (size === NOT_FAST || r.pos + size !== end) return undefined;
  const tasks: pb.Assignment[] = [];
  const acceptedAttemptIds: string[] = [];
  while (r.pos < end) {
    const tag = r.bytes[r.pos++];
    const n = r.length(end);
    if (n === NOT_FAST) return undefined;
    if (tag === 10) {
      const task = readAssignment(r, r.pos + n);
      if (task === undefined) return undefined;
      tasks.push(task);
    } else if (tag === 18) {
      const id = r.ascii(n);
      if (id === undefined) return undefined;
      acceptedAttemptIds.push(id);
    } else {
      return undefined;
    }
  }
  return { tasks, acceptedAttemptIds };
}

/** The `Assignment` in the reader's bytes up to `end`, or undefined. */
function readAssignment(r: FastPathReader, end: number): pb.Assignment | undefined {
  // The generated decoder's property order (one hidden class for every assignment).
  const a: pb.Assignment = { attemptId: '', jobId: '', seq: 0, attempt: 0, function: undefined, payload: EMPTY, items: 0, timeoutMs: 0, slots: 0, firstIndex: 0, resultWaitMs: 0 };
  while (r.pos < end) {
    const tag = r.bytes[r.pos++];
    if ((tag! & 7) === 2) {
      const n = r.length(end);
      if (n === NOT_FAST) return undefined;
      if (tag === 10) {
        const id = r.ascii(n);
        if (id === undefined) return undefined;
        a.attemptId = id;
      } else if (tag === 18) {
        const id = r.readRemembered(n, lastJobId, readAscii);
        if (id === undefined) return undefined;
        a.jobId = id;
      } else if (tag === 42) {
        const ref = r.readRemembered(n, lastFunction, readFunctionRef);
        if (ref === undefined) return undefined;
        a.function = ref;
      } else if (tag === 50) {
        a.payload = r.copy(n);
      } else {
        return undefined;
      }
      continue;
    }
    const value = r.varint(end);
    if (value === NOT_FAST) return undefined;
    switch (tag) {
      case 24:
        a.seq = value;
        break;
      case 80:
        a.firstIndex = value;
        break;
      case 32:
      case 56:
      case 64:
      case 72:
      case 88:
        // uint32 fields: the generated decoder keeps only the low 32 bits of anything larger.
        if (value >= 2 ** 32) return undefined;
        if (tag === 32) a.attempt = value;
        else if (tag === 56) a.items = value;
        else if (tag === 64) a.timeoutMs = value;
        else if (tag === 72) a.slots = value;
        else a.resultWaitMs = value;
        break;
      default:
        return undefined;
    }
  }
  return a;
}

/** The ASCII string up to `end`, or undefined. */
function readAscii(r: FastPathReader, end: number): string | undefined {
  return r.ascii(end - r.pos);
}

/** The `FunctionRef` in the reader's bytes up to `end` (its two strings, ASCII), or undefined. */
function readFunctionRef(r: FastPathReader, end: number): pb.FunctionRef | undefined {
  const ref: pb.FunctionRef = { bundleDigest: '', exportName: '' };
  while (r.pos < end) {
    const tag = r.bytes[r.pos++];
    if (tag !== 10 && tag !== 18) return undefined;
    const n = r.length(end);
    if (n === NOT_FAST) return undefined;
    const s = r.ascii(n);
    if (s === undefined) return undefined;
    if (tag === 10) ref.bundleDigest = s;
    else ref.exportName = s;
  }
  return ref;
}
