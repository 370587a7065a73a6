/**
 * Entry point of a worker process, forked by {@link WorkerProcess}. It runs one task at a time, in the
 * order the agent sent them: imports the task's bundle (once per bundle), decodes the CBOR payload
 * (`decodeTaskPayload`), calls the export once per item inside the task's context (awaiting what it
 * returns only when that is a promise), and sends back the list of results (`encodeItems`: one packed
 * block when they are many numbers), or the first failure with the item's offset.
 *
 * The agent may send the next tasks before this one ends (several in one message when they are tiny),
 * so the worker never waits for a round trip between two tiny tasks; it queues them and runs them in order.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync, unlinkSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
// The codec files themselves, not src/protocol/index.ts: the index pulls in grpc-js and pino, which
// would add ~170 ms to every worker start (and every replacement after a crash) for nothing.
import { encodeValue } from '../../protocol/codec/encodeValue.ts';
import { encodeItems } from '../../protocol/codec/encodeItems.ts';
import { decodeTaskPayload, type TaskItems } from '../../protocol/codec/decodeTaskPayload.ts';
import { TASK_CONTEXT_SLOT, type TaskContext } from '../../task/index.ts';
import type { CallRequest, FailureMessage, ParentMessage, ReplyMessage, ResultMessage, ResultsMessage, RunMessage, RunsMessage, WorkerMessage } from './messages.ts';
import { HANDOFF_BYTES } from './HANDOFF_BYTES.ts';
import { handoffFileName } from './handoffFileName.ts';
import { writeNewFile } from './writeNewFile.ts';
import { workerChannelCodec } from './workerChannelCodec.ts';

/** A tight loop of `context.progress()` sends at most one message per this interval (the latest value). */
const PROGRESS_INTERVAL_MS = 50;
/**
 * RSS ceiling in bytes (first argument; 0 = none). Past it after a task, the worker starts nothing more:
 * it gives back the tasks sent ahead to it and waits to be recycled by the agent.
 */
const MAX_RSS_BYTES = Number(process.argv[2] ?? 0) || 0;
/** This worker's handoff directory (second argument; '' = none): large inputs and results go as files there (see `WorkerHandoff`). */
const HANDOFF_DIR = process.argv[3] ?? '';
const EMPTY = new Uint8Array(0);
/** A failure's `code` longer than this is cut (it is an identifier, not a message). */
const MAX_CODE_LENGTH = 128;
/** This file's URL as stack frames show it: the bundle's own (dist/worker.mjs) when bundled, where `import.meta.url` names the source. */
const OWN_URL = typeof import.meta.filename === 'string' ? pathToFileURL(import.meta.filename).href : import.meta.url;
/** How far down an error's `cause` chain `retryable` and `code` are looked for. */
const MAX_CAUSE_DEPTH = 8;

/** A task shorter than this, with more queued behind it, may have its result held for the next ones'. */
const HOLD_BELOW_MS = 0.5;
/** Results held are sent once this many are waiting... */
const MAX_HELD = 64;
/** ...or once the first has waited this long. */
const MAX_HOLD_MS = 1;

const processSend = process.send?.bind(process) as ((message: unknown) => boolean) | undefined;
if (!processSend) {
  process.stderr.write('drover: workerMain.ts is the entry of a forked worker process; it cannot run on its own\n');
  process.exit(2);
}

/** Every message to the agent goes through here, encoded as the agent decodes it (workerChannelCodec). */
function rawSend(message: WorkerMessage | ResultsMessage): boolean {
  return processSend!(workerChannelCodec.encode(message));
}

/**
 * Results of tiny tasks that ended while more were queued: they go out together in one IPC message (see
 * `finish`). Every other message is sent after them, so the agent sees everything in order.
 */
let held: (ResultMessage | FailureMessage)[] = [];
let heldSince = 0;
let heldFlushQueued = false;

function flushHeld(): void {
  if (held.length === 0) return;
  const batch = held;
  held = [];
  rawSend(batch.length === 1 ? batch[0] : { type: 'results', results: batch });
}

/** Send a message to the agent (after any results held back). */
function send(message: WorkerMessage): boolean {
  flushHeld();
  return rawSend(message);
}

/** A task being run (or about to be), with what its context needs. */
class TaskRun {
  readonly msg: RunMessage;
  readonly controller = new AbortController();
  readonly startedAt = performance.now();
  done = false;
  lastProgressAt = -Infinity;
  pendingProgress: Uint8Array | undefined;
  progressTimer: NodeJS.Timeout | undefined;
  /** `context.scratchDir()`'s answer, asked for once per attempt. */
  scratch: Promise<string> | undefined;

  constructor(msg: RunMessage) {
    this.msg = msg;
  }

  /** Ask the agent something on behalf of this attempt (see {@link CallRequest}). */
  call<T>(request: CallRequest, what: string): Promise<T> {
    // Made here, so a rejection's stack shows the task's own line that asked.
    const error = new Error();
    if (this.done) {
      error.message = `${what}: the task has already returned; call it while the task runs (await it)`;
      return Promise.reject(error);
    }
    const id = nextCallId++;
    return new Promise<T>((resolve, reject) => {
      calls.set(id, { resolve: resolve as (v: unknown) => void, reject, error, what });
      send({ type: 'call', id, attemptId: this.msg.attemptId, ...request });
    });
  }

  progress(value: unknown): void {
    if (this.done) return;
    // Encode now, so an unencodable value throws at the caller's line rather than later.
    const bytes = encodeValue(value);
    const now = performance.now();
    if (this.progressTimer === undefined && now - this.lastProgressAt >= PROGRESS_INTERVAL_MS) {
      this.lastProgressAt = now;
      send({ type: 'progress', attemptId: this.msg.attemptId, value: bytes });
      return;
    }
    this.pendingProgress = bytes;
    this.progressTimer ??= setTimeout(() => this.flushProgress(), PROGRESS_INTERVAL_MS - (now - this.lastProgressAt));
  }

  /** Send the coalesced progress value, if any (also right before the result, so the last one arrives). */
  flushProgress(): void {
    if (this.progressTimer !== undefined) clearTimeout(this.progressTimer);
    this.progressTimer = undefined;
    if (this.pendingProgress === undefined) return;
    const value = this.pendingProgress;
    this.pendingProgress = undefined;
    this.lastProgressAt = performance.now();
    send({ type: 'progress', attemptId: this.msg.attemptId, value });
  }
}

/** The context a task function sees while one item runs; `index` moves with the item. */
class ItemContext implements TaskContext {
  readonly #run: TaskRun;
  /** Moves from item to item while the items of a synchronous function share one context (see `callItems`). */
  index: number;

  constructor(run: TaskRun, offset: number) {
    this.#run = run;
    this.index = run.msg.ctx.firstIndex + offset;
  }

  get taskId(): string { return `${this.#run.msg.ctx.jobId}/${this.#run.msg.ctx.seq}`; }
  get jobId(): string { return this.#run.msg.ctx.jobId; }
  get seq(): number { return this.#run.msg.ctx.seq; }
  get attempt(): number { return this.#run.msg.ctx.attempt; }
  get agent(): string { return this.#run.msg.ctx.agent; }
  get worker(): string { return this.#run.msg.ctx.worker; }
  get signal(): AbortSignal { return this.#run.controller.signal; }
  progress(value: unknown): void { this.#run.progress(value); }

  fetchBlob(digest: string): Promise<string> {
    if (typeof digest !== 'string') return Promise.reject(new TypeError(`context.fetchBlob(digest): the digest must be a string, got ${typeof digest}`));
    return this.#run.call({ op: 'fetchBlob', digest }, `context.fetchBlob(${JSON.stringify(digest.slice(0, 80))})`);
  }

  storeFile(path: string): Promise<{ digest: string; size: number }> {
    if (typeof path !== 'string' || path === '') return Promise.reject(new TypeError('context.storeFile(path): the path must be a non-empty string'));
    const absolute = resolvePath(path);
    return this.#run.call({ op: 'storeFile', path: absolute }, `context.storeFile(${JSON.stringify(absolute)})`);
  }

  scratchDir(): Promise<string> {
    const run = this.#run;
    if (run.scratch === undefined) {
      run.scratch = run.call<string>({ op: 'scratchDir' }, 'context.scratchDir()');
      // A failed attempt to make it may be retried by a later call.
      run.scratch.catch(() => {
        run.scratch = undefined;
      });
    }
    return run.scratch;
  }

  keepScratch(): void {
    const run = this.#run;
    if (!run.done) send({ type: 'note', attemptId: run.msg.attemptId, op: 'keepScratch', pid: 0 });
  }

  trackChildProcess(pid: number): () => void {
    checkTrackable(pid);
    const run = this.#run;
    if (run.done) {
      // Too late for the agent to kill it with the attempt: do it now, as it would have.
      killGroup(pid);
      throw new Error(`context.trackChildProcess(${pid}): the task has already returned, so the process group was killed`);
    }
    tracked.add(pid);
    send({ type: 'note', attemptId: run.msg.attemptId, op: 'track', pid });
    let untracked = false;
    return () => {
      if (untracked) return;
      untracked = true;
      tracked.delete(pid);
      if (!run.done) send({ type: 'note', attemptId: run.msg.attemptId, op: 'untrack', pid });
    };
  }
}

/** Requests sent to the agent and not answered yet, by id. */
const calls = new Map<number, { resolve(value: unknown): void; reject(error: Error): void; error: Error; what: string }>();
let nextCallId = 1;
/**
 * Process groups tracked by the running task. The agent kills those still tracked when the attempt
 * ends; this process kills them too when it exits on its own (`process.exit`, or the agent going away).
 */
const tracked = new Set<number>();

function answer(reply: ReplyMessage): void {
  const pending = calls.get(reply.id);
  if (pending === undefined) return;
  calls.delete(reply.id);
  if (reply.error === undefined) {
    pending.resolve(reply.value);
    return;
  }
  const e = pending.error as Error & { code?: string };
  e.name = reply.error.name || 'Error';
  e.message = `${pending.what}: ${reply.error.message}`;
  if (reply.error.code) e.code = reply.error.code;
  pending.reject(e);
}

/**
 * Refuse a pid that cannot be a detached child of this worker: killing the group of pid 1 (or of -1,
 * 0, this worker's own) would hit far more than the task's command. Where `/proc` exists, the pid must
 * be a child of this process leading its own group (`detached: true`); one already reaped is let through
 * (killing its group then finds nothing, or the group's remaining members).
 */
function checkTrackable(pid: number): void {
  if (!Number.isSafeInteger(pid) || pid <= 1 || pid === process.pid || pid === process.ppid) {
    throw new TypeError(`context.trackChildProcess(pid): ${String(pid)} is not the pid of a child process`);
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return;
  }
  // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses, so split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  const pgrp = Number(fields[2]);
  if (ppid !== process.pid) {
    throw new TypeError(`context.trackChildProcess(${pid}): that process is not a child of this worker (its parent is ${ppid})`);
  }
  if (pgrp !== pid) {
    throw new TypeError(`context.trackChildProcess(${pid}): the child does not lead its own process group; spawn it with { detached: true }`);
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

// Bundles carry inline source maps: remote stacks then name the task module's own files and lines.
process.setSourceMapsEnabled(true);

const als = new AsyncLocalStorage<TaskContext>();
(globalThis as Record<symbol, unknown>)[TASK_CONTEXT_SLOT] = { current: () => als.getStore() };
const AsyncFunction = (async () => {}).constructor;

const modules = new Map<string, Record<string, unknown>>();
const queue: RunMessage[] = [];
let current: TaskRun | undefined;
/** Set once past the RSS ceiling: every task still queued or sent later is given back. */
let retired = false;

function failure(run: TaskRun, kind: FailureMessage['kind'], error: unknown, itemOffset: number): FailureMessage {
  const e = error instanceof Error ? error : undefined;
  // drover's own failures (a payload that is not CBOR: DROVER_CODEC) keep their code too.
  const ownCode = (e as { code?: unknown } | undefined)?.code;
  const { retryable, code } = kind === 'error' ? retryableAndCode(error) : { retryable: false, code: typeof ownCode === 'string' ? ownCode : '' };
  return {
    type: 'failure',
    attemptId: run.msg.attemptId,
    kind,
    name: e?.name ?? 'Error',
    message: e ? e.message : String(error),
    stack: e?.stack === undefined ? '' : userFrames(e.stack),
    itemOffset,
    retryable,
    code,
    rss: 0,
  };
}

/**
 * Whether a thrown error asks for another attempt, and its stable code. Along the `cause` chain, the
 * nearest error with a boolean `retryable` decides (so a wrapper saying `retryable: false` wins over
 * its cause), and the nearest string `code` is taken. Reads properties, not classes, so errors of any
 * library (SUMO's, Node's `ENOENT`…) or plain objects work.
 */
function retryableAndCode(error: unknown): { retryable: boolean; code: string } {
  let retryable: boolean | undefined;
  let code: string | undefined;
  const seen = new Set<unknown>();
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < MAX_CAUSE_DEPTH && !seen.has(e); depth++) {
    seen.add(e);
    let flag: unknown;
    let c: unknown;
    let cause: unknown;
    try {
      flag = (e as { retryable?: unknown }).retryable;
      c = (e as { code?: unknown }).code;
      cause = (e as { cause?: unknown }).cause;
    } catch {
      break; // a throwing getter: stop looking
    }
    if (retryable === undefined && typeof flag === 'boolean') retryable = flag;
    if (code === undefined && typeof c === 'string' && c !== '') code = c.slice(0, MAX_CODE_LENGTH);
    if (retryable !== undefined && code !== undefined) break;
    e = cause;
  }
  return { retryable: retryable ?? false, code: code ?? '' };
}

/** A stack without the frames of this file and below them: the caller wants its own code's frames. */
function userFrames(stack: string): string {
  const lines = stack.split('\n');
  const cut = lines.findIndex((l, i) => i > 0 && (l.includes(OWN_URL) || l.includes('node:internal/async_local_storage')));
  return cut > 0 ? lines.slice(0, cut).join('\n') : stack;
}

/**
 * Calls `call` once per item into `results` (with the item as its one argument, or spreading the item's
 * argument array); returns the failure that stopped it, if any. With `shared`
 * (called inside `als.run` of a context for the whole chunk) the items use that context, its index set
 * for each; an item returning a promise is awaited with it, and the items after it get a context of
 * their own each (`als.run` per item), so that what a promise leaves running keeps its item's index.
 */
async function callItems(run: TaskRun, call: (...a: unknown[]) => unknown, payload: TaskItems, results: unknown[], shared: boolean): Promise<FailureMessage | undefined> {
  const context = shared ? (als.getStore() as ItemContext) : undefined;
  let sharing = context !== undefined;
  const { items, spread } = payload;
  const signal = run.controller.signal;
  // An abort arrives as an IPC message, handled only while this loop awaits: checked before the first
  // item and after each await, not on every item (a getter call each).
  if (signal.aborted) return failure(run, 'cancelled', signal.reason, 0);
  for (let i = 0; i < items.length; i++) {
    const item: unknown = items[i];
    if (spread && !Array.isArray(item)) {
      return failure(run, 'internal', new TypeError(`item ${i} of the task payload is not an argument array`), i);
    }
    try {
      let returned: unknown;
      if (sharing) {
        context!.index = run.msg.ctx.firstIndex + i;
        returned = spread ? call(...(item as unknown[])) : call(item);
      } else {
        returned = spread ? als.run(new ItemContext(run, i), call, ...(item as unknown[])) : als.run(new ItemContext(run, i), call, item);
      }
      // A synchronous function's value is taken as is: awaiting it would cost a microtask per item.
      if (isThenable(returned)) {
        sharing = false;
        results[i] = await returned;
        if (signal.aborted && i + 1 < items.length) return failure(run, 'cancelled', signal.reason, i + 1);
      } else {
        results[i] = returned;
      }
    } catch (error) {
      return failure(run, run.controller.signal.aborted ? 'cancelled' : 'error', error, i);
    }
  }
  return undefined;
}

/** Run one task to its end; returns the message to send back. */
async function execute(run: TaskRun): Promise<WorkerMessage> {
  const { bundlePath, exportName, payload } = run.msg;
  let mod = modules.get(bundlePath);
  if (mod === undefined) {
    try {
      mod = (await import(pathToFileURL(bundlePath).href)) as Record<string, unknown>;
    } catch (error) {
      // The task module itself threw while loading: that is the user's error, like a throwing task.
      return failure(run, 'error', error, 0);
    }
    modules.set(bundlePath, mod);
  }
  const fn = mod[exportName];
  if (typeof fn !== 'function') {
    const names = Object.keys(mod).join(', ') || 'none';
    return failure(run, 'internal', new TypeError(`the task bundle has no exported function "${exportName}" (exports: ${names})`), 0);
  }
  if (run.msg.inputError !== undefined) return failure(run, 'internal', run.msg.inputError, 0);
  let items: TaskItems;
  try {
    items = decodeTaskPayload(payload);
  } catch (error) {
    return failure(run, 'internal', error, 0);
  }
  const results = new Array<unknown>(items.items.length);
  const call = fn as (...a: unknown[]) => unknown;
  // `als.run` per item costs several times a no-op item: the items of a function that is not `async`
  // share one context whose index moves along, entered once (see `callItems`).
  const failed = fn instanceof AsyncFunction ? await callItems(run, call, items, results, false) : await als.run(new ItemContext(run, 0), callItems, run, call, items, results, true);
  if (failed !== undefined) return failed;
  try {
    return { type: 'result', attemptId: run.msg.attemptId, value: encodeItems(results), rss: 0 };
  } catch {
    // Find the culprit only on this rare path, so the common path encodes once.
    for (let i = 0; i < results.length; i++) {
      try {
        encodeValue(results[i]);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        return failure(run, 'error', new TypeError(`the return value of item ${i} cannot be encoded: ${why}`), i);
      }
    }
    return failure(run, 'internal', new Error('the results could not be encoded'), 0);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function pump(): void {
  if (current !== undefined) return;
  const msg = queue.shift();
  if (msg === undefined) return;
  const run = new TaskRun(msg);
  current = run;
  execute(run).then(
    (reply) => finish(run, reply),
    (error: unknown) => finish(run, failure(run, 'internal', error, 0)),
  );
}

/** A task's input handed over as a file: read, and removed (the agent wrote it for this one reading). */
function takeInput(name: string): Uint8Array {
  const path = join(HANDOFF_DIR, name);
  try {
    return readFileSync(path);
  } finally {
    try {
      unlinkSync(path);
    } catch {
      // The agent removes the directory with this process.
    }
  }
}

/** A large result goes as a file (see `WorkerHandoff`); if that fails, through the pipe as any other. */
function handOff(reply: ResultMessage): void {
  if (HANDOFF_DIR === '' || reply.value.byteLength <= HANDOFF_BYTES) return;
  const name = handoffFileName('out', reply.attemptId);
  if (!writeNewFile(join(HANDOFF_DIR, name), reply.value)) return;
  reply.valueFile = name;
  reply.value = EMPTY;
}

function finish(run: TaskRun, reply: WorkerMessage): void {
  run.done = true;
  // The agent kills what is still tracked when it reads the result; this process no longer needs to.
  tracked.clear();
  run.flushProgress();
  current = undefined;
  // Only with a ceiling: the agent recycles a worker whose RSS passed it. Not free (it reads
  // /proc/self/stat, several µs — as much as the rest of a no-op task), so not asked otherwise.
  const rss = MAX_RSS_BYTES > 0 ? process.memoryUsage.rss() : 0;
  if (reply.type === 'result' || reply.type === 'failure') {
    reply.rss = rss;
    if (reply.type === 'result') handOff(reply);
    const now = performance.now();
    // A tiny task with more queued behind it: hold its result for the next ones' (one IPC message for
    // many), but only this turn, up to MAX_HELD results and MAX_HOLD_MS. A lone task goes out at once.
    const hold = queue.length > 0 && !retired && now - run.startedAt < HOLD_BELOW_MS && held.length < MAX_HELD - 1
      && (held.length === 0 || now - heldSince < MAX_HOLD_MS) && (MAX_RSS_BYTES === 0 || rss <= MAX_RSS_BYTES);
    if (held.length === 0) heldSince = now;
    held.push(reply);
    if (!hold) {
      flushHeld();
    } else if (!heldFlushQueued) {
      heldFlushQueued = true;
      setImmediate(() => {
        heldFlushQueued = false;
        flushHeld();
      });
    }
  } else {
    send(reply);
  }
  if (MAX_RSS_BYTES > 0 && rss > MAX_RSS_BYTES) {
    // Never start another task here: the next one may already be queued (sent ahead) before the
    // agent reads this result, so give those back rather than run them in a bloated process.
    retired = true;
    giveBack(queue.splice(0));
    return;
  }
  pump();
}

/** The tasks of a `runs` message, each with its whole context. */
function expandRuns(msg: RunsMessage): RunMessage[] {
  const runs: RunMessage[] = [];
  for (const g of msg.groups) {
    for (const r of g.runs) {
      let payload = r.payload;
      let inputError: Error | undefined;
      if (r.payloadFile !== undefined) {
        // Read at once, so that nothing is left behind if the task is withdrawn or this process ends.
        try {
          payload = takeInput(r.payloadFile);
        } catch (error) {
          inputError = new Error(`could not read the task's input, handed over in ${join(HANDOFF_DIR, r.payloadFile)}: ${(error as Error).message}`, { cause: error });
        }
      }
      runs.push({
        type: 'run', attemptId: r.attemptId, bundlePath: g.bundlePath, exportName: g.exportName, payload,
        ctx: { jobId: g.jobId, seq: r.seq, firstIndex: r.firstIndex, attempt: r.attempt, agent: msg.agent, worker: msg.worker },
        ...(inputError !== undefined ? { inputError } : {}),
      });
    }
  }
  return runs;
}

function giveBack(runs: RunMessage[]): void {
  for (const m of runs) send({ type: 'withdrawn', attemptId: m.attemptId });
}

process.on('message', (msg: ParentMessage) => {
  if (msg.type === 'reply') {
    answer(msg);
  } else if (msg.type === 'runs') {
    const runs = expandRuns(msg);
    if (retired) return giveBack(runs);
    queue.push(...runs);
    pump();
  } else if (msg.type === 'withdraw') {
    const i = queue.findIndex((m) => m.attemptId === msg.attemptId);
    if (i >= 0) {
      queue.splice(i, 1);
      send({ type: 'withdrawn', attemptId: msg.attemptId });
    }
  } else if (msg.type === 'abort') {
    if (current?.msg.attemptId === msg.attemptId) {
      current.controller.abort(new DOMException('the task was cancelled', 'AbortError'));
      return;
    }
    const i = queue.findIndex((m) => m.attemptId === msg.attemptId);
    if (i >= 0) {
      const [dropped] = queue.splice(i, 1);
      send({ type: 'failure', attemptId: dropped.attemptId, kind: 'cancelled', name: 'AbortError', message: 'cancelled before it started', stack: '', itemOffset: 0, retryable: false, code: '', rss: 0 });
    }
  }
});

// The agent is gone (crashed or killed): do not linger as an orphan.
process.on('disconnect', () => process.exit(0));
// Exiting on its own (a task's process.exit, the agent gone): take the task's commands along. (When the
// agent kills this process, the agent kills them.)
process.on('exit', () => {
  // Exiting in the middle of a burst (a task's process.exit): the results held so far still go out.
  try {
    flushHeld();
  } catch {
    // The channel is gone already.
  }
  for (const pid of tracked) killGroup(pid);
});

send({ type: 'ready' });
