/**
 * The IPC vocabulary between the agent (parent) and a worker process (child), over the
 * `child_process.fork` channel. The agent's messages cross it with `serialization: 'advanced'`
 * (structured clone), so byte arrays travel as bytes; the worker's are CBOR-encoded by it first
 * (workerChannelCodec: decoding them is 2× cheaper for the agent than the structured clone). Payloads
 * stay CBOR-encoded end to end: the agent never decodes them, only the worker does.
 */

/** What a task function can know about its run, minus what the worker adds itself (index, signal). */
export interface RunContext {
  jobId: string;
  seq: number;
  /** Index in the job's input of the chunk's first item. */
  firstIndex: number;
  /** 1-based attempt number. */
  attempt: number;
  /** Agent name. */
  agent: string;
  /** Worker name, `worker-N`, stable per slot. */
  worker: string;
}

/** A task (a chunk of items) as the worker queues and runs it, built from a {@link RunsMessage}. */
export interface RunMessage {
  type: 'run';
  attemptId: string;
  /** Absolute path of the verified bundle (an ESM file). */
  bundlePath: string;
  exportName: string;
  /** The chunk's items as `encodeTaskPayload` writes them (argument arrays, or single arguments). */
  payload: Uint8Array;
  ctx: RunContext;
  /** Why the payload handed over as a file could not be read (the task then fails with it). */
  inputError?: Error;
}

/** One task in a {@link RunGroup}: what differs from task to task. */
export interface GroupedRun {
  attemptId: string;
  /** Empty when {@link payloadFile} is set. */
  payload: Uint8Array;
  /** A payload over `HANDOFF_BYTES` is in this file of the worker's handoff directory (see `WorkerHandoff`). */
  payloadFile?: string;
  seq: number;
  firstIndex: number;
  attempt: number;
}

/** Consecutive tasks of one job's function: the bundle path, export and job id are sent once for them. */
export interface RunGroup {
  bundlePath: string;
  exportName: string;
  jobId: string;
  runs: GroupedRun[];
}

/**
 * Parent → worker: tasks to run, in order. What they share is sent once (the names of the agent and
 * the worker, and each group's bundle, export and job): for tiny tasks sent 40 at a time, a third less
 * of the agent's time serializing them and two thirds fewer bytes than whole runs.
 */
export interface RunsMessage {
  type: 'runs';
  agent: string;
  /** Worker name, `worker-N`, stable per slot. */
  worker: string;
  groups: RunGroup[];
}

/** Parent → worker: abort this attempt (abort its signal if running, drop it if still queued). */
export interface AbortMessage {
  type: 'abort';
  attemptId: string;
}

/**
 * Parent → worker: give this attempt back if it has not started (answered by `withdrawn`); if it has,
 * ignore this and finish it. Lets an idle worker take tasks queued behind a long one.
 */
export interface WithdrawMessage {
  type: 'withdraw';
  attemptId: string;
}

/**
 * Parent → worker: the answer to a {@link CallMessage} with the same `id`: `value` on success, else
 * `error` (rejected in the task as an `Error` with this name, message and code).
 */
export interface ReplyMessage {
  type: 'reply';
  id: number;
  value?: unknown;
  error?: { name: string; message: string; code: string };
}

/** Everything the parent sends. */
export type ParentMessage = RunsMessage | AbortMessage | WithdrawMessage | ReplyMessage;

/** Worker → parent: the worker has loaded and takes tasks. */
export interface ReadyMessage {
  type: 'ready';
}

/** Worker → parent: the task completed; `value` holds its return values, one per item, as `encodeItems` writes them. */
export interface ResultMessage {
  type: 'result';
  attemptId: string;
  /** Empty when {@link valueFile} is set. */
  value: Uint8Array;
  /** A value over `HANDOFF_BYTES` is in this file of the worker's handoff directory (see `WorkerHandoff`). */
  valueFile?: string;
  /** The worker's resident set size in bytes right after the task (`process.memoryUsage.rss()`). */
  rss: number;
}

/**
 * Worker → parent: the task did not complete.
 * `kind` is `error` when the task's code threw, `internal` when drover could not run it (bad payload,
 * missing export), `cancelled` when the worker dropped or stopped it after an `abort`.
 */
export interface FailureMessage {
  type: 'failure';
  attemptId: string;
  kind: 'error' | 'internal' | 'cancelled';
  name: string;
  message: string;
  stack: string;
  /** Offset in the chunk of the item that failed. */
  itemOffset: number;
  /** The error said running the task again may succeed (`retryable: true` on it or its `cause` chain). */
  retryable: boolean;
  /** The error's stable code (a string `code` on it or its `cause` chain), or ''. */
  code: string;
  /** The worker's resident set size in bytes right after the task (0 when not measured). */
  rss: number;
}

/**
 * Worker → parent: several results or failures in one IPC message, in the order the tasks ended. The
 * worker holds a tiny task's result back only while more tasks are queued behind it, and never past
 * the end of its current event-loop turn; anything else it sends goes after what it held.
 */
export interface ResultsMessage {
  type: 'results';
  results: (ResultMessage | FailureMessage)[];
}

/** Worker → parent: the latest `context.progress(value)` of a task, CBOR-encoded (coalesced). */
export interface ProgressMessage {
  type: 'progress';
  attemptId: string;
  value: Uint8Array;
}

/**
 * Worker → parent: this attempt was dropped before it started: asked back by `withdraw`, or given back
 * unasked because the worker passed its RSS ceiling and takes nothing more.
 */
export interface WithdrawnMessage {
  type: 'withdrawn';
  attemptId: string;
}

/** What a task can ask of the agent (`context.fetchBlob`, `storeFile`, `scratchDir`), answered by a {@link ReplyMessage}. */
export type CallRequest =
  | { op: 'fetchBlob'; digest: string }
  | { op: 'storeFile'; path: string }
  | { op: 'scratchDir' };

/**
 * Worker → parent: a request of the running attempt, answered by a `reply` with the same `id` (ids are
 * unique per worker process). Only the attempt the worker is running may ask; others are refused.
 */
export type CallMessage = { type: 'call'; id: number; attemptId: string } & CallRequest;

/**
 * Worker → parent, unanswered: the running attempt tracks or untracks a child process group
 * (`context.trackChildProcess`), or asks to keep its scratch directory (`context.keepScratch`).
 */
export interface NoteMessage {
  type: 'note';
  attemptId: string;
  op: 'track' | 'untrack' | 'keepScratch';
  /** The process group (its leader's pid), for `track` and `untrack`. */
  pid: number;
}

/** Everything a worker sends. */
export type WorkerMessage = ReadyMessage | ResultMessage | FailureMessage | ProgressMessage | WithdrawnMessage | CallMessage | NoteMessage;
