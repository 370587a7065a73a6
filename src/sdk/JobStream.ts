import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import {
  CancelledError,
  ConnectionError,
  DroverError,
  TaskError,
  UsageError,
  decodeItems,
  decodeValue,
  encodeTaskPayload,
  MAX_MESSAGE_BYTES,
  pb,
  TASK_TOO_LARGE_CODE,
  type TaskFailureKind,
} from '../protocol/index.ts';
import type { CoordinatorChannel, JobRunRequest } from './CoordinatorChannel.ts';
import { InputBatchBuilder } from './InputBatchBuilder.ts';
import { ReplayBuffer } from './ReplayBuffer.ts';
import type { Outcome } from './Outcome.ts';
import { OutcomeQueue } from './OutcomeQueue.ts';
import { OutcomeReorderBuffer } from './OutcomeReorderBuffer.ts';
import type { TaskRef } from './TaskRef.ts';
import type { TaskOptions } from './TaskOptions.ts';

/** Inputs a verb accepts: consumed lazily, never materialised. */
export type Inputs<T> = Iterable<T> | AsyncIterable<T>;

/** How one job runs; resolved from a verb's arguments and options. */
export interface JobSpec {
  ref: TaskRef;
  /** Shown in listings: `map countPrimes`. */
  name: string;
  options: TaskOptions;
  chunksize: number;
  window: number;
  /** Items are argument arrays (starmap, apply) rather than single arguments. */
  spread: boolean;
  /** Deliver in input order (map, imap) rather than completion order. */
  ordered: boolean;
  /** Nothing reads a result before the job ends (map, starmap): the coordinator may send them in batches. */
  collect?: boolean;
}

/**
 * Results a collecting job lets the coordinator hold to commit and send together (`results_batch_max`),
 * at most an eighth of its window, so that the input never waits behind held results.
 */
const RESULTS_BATCH_MAX = 64;

/** Distinct agent and worker names a job keeps one copy of (see {@link JobStream.#name}); past it, none. */
const NAMES_KEPT = 4096;

// A batch is sent when it holds this many tasks or bytes, or at the end of the event-loop turn.
const BATCH_TASKS = 512;
const BATCH_BYTES = 1024 * 1024;
/** Largest task payload one input message can carry: the message limit less room for the message's own fields. */
const MAX_TASK_PAYLOAD_BYTES = MAX_MESSAGE_BYTES - 64 * 1024;
/** An array whose iterator is this one is read by slices (see `#sendSlices`). */
const ARRAY_VALUES = Array.prototype[Symbol.iterator];
/** The iterator's "no batch in hand" marker. */
const NO_VALUES: ArrayLike<unknown> = [];
/** Tell the coordinator every this many results that it may forget them. */
const RECEIVED_REPORT_EVERY = 256;

/** Random bytes for job ids, drawn 256 ids at a time (one `getrandom` call instead of one per job). */
let idBytes = Buffer.alloc(0);
let idOffset = 0;

/** `j-` and 9 random bytes in base64url, as unguessable as before; many `apply` calls make many. */
function newJobId(): string {
  if (idOffset + 9 > idBytes.length) {
    idBytes = randomBytes(9 * 256);
    idOffset = 0;
  }
  idOffset += 9;
  return `j-${idBytes.toString('base64url', idOffset - 9, idOffset)}`;
}

/** A call waiting for its task's result on a job in call mode. */
interface PendingCall {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * One job on the wire: streams the input in chunked batches under a window, and turns result
 * batches back into values — in input order or completion order — or a typed error.
 *
 * Without a source it runs in **call mode** (the apply path): each {@link submit} adds one task to
 * the open job and gets that task's own result back, routed by task seq; a failing task rejects only
 * its own call, and the job goes on until {@link endInput}. One stream and one job then carry any
 * number of calls, so a call costs one input message and one result message, no call setup.
 */
export class JobStream<R = unknown> implements AsyncIterable<R> {
  /** Client-chosen job id, known before the coordinator answers. */
  readonly id = newJobId();
  /** Settles when the job is over on the wire (completed, failed or cancelled); never rejects. */
  readonly done: Promise<void>;
  /** The `Jobs.Cancel` call of {@link cancel}, once made. */
  #cancelCall: Promise<void> | undefined;

  readonly #spec: JobSpec;
  readonly #channel: CoordinatorChannel;
  readonly #openMessage: pb.JobRequest;
  #resolveDone!: () => void;

  // connection: the current call, and what a re-attach needs to resume exactly where it broke
  #call: ClientDuplexStream<JobRunRequest, pb.JobResponse> | undefined;
  /** Bumped for every new call; events of older calls are ignored. */
  #generation = 0;
  /** Whether inputs may be written on the current call (false while re-attaching). */
  #connected = false;
  #reattaching = false;
  /** The last attach was answered NOT_FOUND: the job never reached the store, so re-open it. */
  #attachRefused = false;
  #openedWaiter: { resolve(o: pb.JobOpened): void; reject(e: unknown): void } | undefined;
  /** Input batches sent but not yet durable on the coordinator, oldest first: replayed after a re-attach. */
  readonly #unaccepted = new ReplayBuffer();
  #everAccepted = false;
  /** Last result sequence received: results after it are replayed on re-attach. */
  #lastRseq = 0;
  /** Task outcomes received (repeats in a replay not counted): at `end{completed}`, one per task sent. */
  #receivedTasks = 0;
  #receivedReported = 0;

  // input side
  #sentTasks = 0;
  #sentItems = 0;
  #consumedTasks = 0;
  #inputEnded = false;
  /** The next input message, encoded as tasks are added. */
  readonly #batch = new InputBatchBuilder();
  #flushScheduled = false;
  #windowWaiter: (() => void) | undefined;
  /**
   * A full window resumes the input once this few tasks are in flight: a quarter of the window then
   * goes out in one batch. Resuming at every consumed task sent one message per task, and each
   * message costs allocations on both ends (grpc-js re-slices its queue of unsent messages per write).
   */
  readonly #windowResumeAt: number;

  // output side
  // Each made on the first outcome it keeps: a stream uses one of the two (an apply session neither),
  // and each is a ring of nine column arrays.
  /** An ordered stream's outcomes, by seq: the consumer takes each once those before it were taken. */
  #inOrder: OutcomeReorderBuffer | undefined;
  /** Any other stream's outcomes, as they arrived. */
  #ready: OutcomeQueue | undefined;
  readonly #names = new Map<string, string>();
  #completedItems = 0;
  #endState: 'open' | 'completed' | 'failed' = 'open';
  #error: Error | undefined;
  #consumerWaiter: (() => void) | undefined;
  #iterating = false;
  // collect() places results by index itself, so it never needs the reorder buffer.
  #placing = false;
  /** The input's length when it is an array (collect() allocates its output once), else -1. */
  readonly #inputLength: number;
  /** Call mode: the calls waiting for their task, by task seq. */
  readonly #calls: Map<number, PendingCall> | undefined;

  /** Without `source` the job runs in call mode: tasks come one by one from {@link submit}. */
  constructor(channel: CoordinatorChannel, spec: JobSpec, source?: Inputs<unknown>) {
    this.#spec = spec;
    this.#windowResumeAt = spec.window - Math.max(1, Math.floor(spec.window / 4));
    if (source === undefined) this.#calls = new Map();
    this.#channel = channel;
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
    const { options } = spec;
    const requires = options.requires ?? {};
    this.#openMessage = {
      msg: {
        $case: 'open',
        value: {
          jobId: this.id,
          function: { bundleDigest: spec.ref.bundleDigest, exportName: spec.ref.exportName },
          name: spec.name,
          requires: {
            cpus: requires.cpus ?? 0,
            memoryMb: requires.memoryMb ?? 0,
            sumo: requires.sumo === true ? '*' : requires.sumo || '',
            labels: requires.labels ?? {},
            resources: requires.resources ?? {},
          },
          timeoutMs: options.timeoutMs ?? 0,
          retries: options.retries ?? 3,
          retryOnError: options.retryOn === 'error',
          unschedulableWaitMs: requires.waitMs ?? 0,
          resultsBatchMax: spec.collect === true ? Math.min(RESULTS_BATCH_MAX, Math.floor(spec.window / 8)) : 0,
        },
      },
    };
    // Inputs may follow `open` at once: the stream keeps them in order, no round trip needed.
    this.#startCall(this.#openMessage);
    this.#connected = true;
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) {
        void this.cancel(signal.reason);
      } else {
        const onAbort = () => void this.cancel(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        void this.done.then(() => signal.removeEventListener('abort', onAbort));
      }
    }
    this.#inputLength = Array.isArray(source) ? source.length : -1;
    if (source !== undefined) void this.#pump(source);
  }

  /** Call mode: whether {@link submit} takes another call (the job is open and its input not ended). */
  get accepting(): boolean {
    return this.#calls !== undefined && this.#endState === 'open' && !this.#inputEnded;
  }

  /** Call mode: calls submitted whose result has not arrived yet. */
  get inFlight(): number {
    return this.#calls?.size ?? 0;
  }

  /**
   * Call mode: run one task with these arguments; resolves with its value or rejects with its own
   * `TaskError` (index 0: the call's one item), or a `UsageError` for arguments over the coordinator's
   * `--max-task-bytes`. Other calls on the job are not affected.
   */
  submit(args: unknown[]): Promise<R> {
    const calls = this.#calls;
    if (!calls || !this.accepting) throw new UsageError(`job ${this.id} takes no more calls`);
    const seq = this.#sentTasks;
    const result = new Promise<R>((resolve, reject) => calls.set(seq, { resolve: resolve as (v: unknown) => void, reject }));
    // Its item's index in the session job (the coordinator checks that chunks are contiguous);
    // the call itself reports index 0, as a job of one item would.
    try {
      this.#addTask([args], true);
    } catch (err) {
      // Arguments that cannot go (not encodable, too large) fail this call only; the session goes on.
      calls.delete(seq);
      return Promise.reject(err);
    }
    // A lone call goes out now; calls made together still share the batch sent at the end of the turn.
    if (calls.size === 1) this.#flush();
    return result;
  }

  /** Call mode: no more calls; the job completes on the coordinator once the calls in flight have their results. */
  endInput(): void {
    if (!this.accepting) return;
    this.#flush();
    this.#inputEnded = true;
    if (this.#connected) this.#call!.write({ msg: { $case: 'inputEnd', value: { totalTasks: this.#sentTasks } } });
  }

  /** Stop the job: queued tasks are dropped, running ones killed; consumers get a {@link CancelledError}. */
  async cancel(reason?: unknown): Promise<void> {
    if (this.#endState !== 'open') return;
    const cause = reason instanceof Error ? reason : undefined;
    const message = reason === undefined || reason instanceof Error && reason.name === 'AbortError'
      ? `job ${this.id} was cancelled`
      : `job ${this.id} was cancelled: ${reason instanceof Error ? reason.message : String(reason)}`;
    await this.#stopWith(new CancelledError(message, { cause }));
  }

  /** End the job here with `err` and cancel it on the coordinator. */
  async #stopWith(err: Error): Promise<void> {
    // `done` waits for the coordinator to have heard of the cancel, so a Pool.close() (or process exit)
    // right after an abort does not cut the channel before the Cancel call went out.
    this.#cancelCall = new Promise<void>((resolve) =>
      this.#channel.jobs.cancel({ jobId: this.id }, new Metadata(), { deadline: Date.now() + 5000 }, () => resolve()),
    );
    this.#fail(err);
    await this.#cancelCall;
    this.#dropCall();
  }

  /** All results, placed by input index; rejects with the first failure to arrive (as Python's `map`). */
  async collect(): Promise<R[]> {
    this.#claimIteration();
    this.#placing = true;
    const size = this.#spec.chunksize;
    if (this.#inputLength >= 0) {
      // An array input: the output is allocated at its length once, and each chunk copied into its
      // place as it arrives, in any order (a growing array written past its end — a later chunk
      // arriving first — turns into a dictionary, several times slower per item).
      const out = new Array<R>(this.#inputLength);
      let end = 0;
      for (;;) {
        const outcome = await this.#nextOutcome();
        if (!outcome) break;
        const values = this.#decode(outcome);
        this.#throwIfFailed(outcome);
        end = Math.max(end, copyInto(out, outcome.seq * size, values));
        this.#consumed();
      }
      // The caller's array changed length while it was read: as many results as items were sent.
      if (end !== out.length) out.length = end;
      return out;
    }
    // Any other input: appended in seq order, the chunks that arrive early waiting (decoded) for theirs.
    const out: R[] = [];
    const early = new Map<number, ArrayLike<unknown>>();
    let nextSeq = 0;
    for (;;) {
      const outcome = await this.#nextOutcome();
      if (!outcome) break;
      const values = this.#decode(outcome);
      this.#throwIfFailed(outcome);
      this.#consumed();
      if (outcome.seq !== nextSeq) {
        if (outcome.seq > nextSeq) early.set(outcome.seq, values);
        continue;
      }
      for (let next: ArrayLike<unknown> | undefined = values; next !== undefined; next = early.size > 0 ? early.get(nextSeq) : undefined) {
        early.delete(nextSeq);
        for (let i = 0; i < next.length; i++) out.push(next[i] as R);
        nextSeq++;
      }
    }
    // Every seq has come by now; place any straggler by index all the same.
    for (const [seq, values] of early) copyInto(out, seq * size, values);
    return out;
  }

  /**
   * Values one by one. Hand-written rather than an async generator: a generator's `yield` costs
   * several promises and objects per item, and over millions of items that allocation rate
   * multiplies the young-generation collections, and with them what they copy in total, which is
   * what grows V8's young generation (and the process's RSS).
   */
  [Symbol.asyncIterator](): AsyncIterator<R> {
    let values: ArrayLike<unknown> = NO_VALUES;
    let at = 0;
    let started = false;
    let over = false;
    let completed = false;
    const more = async (): Promise<IteratorResult<R>> => {
      if (!started) {
        this.#claimIteration();
        started = true;
      }
      if (over) return { value: undefined, done: true };
      if (values !== NO_VALUES) {
        values = NO_VALUES;
        this.#consumed();
      }
      try {
        const next = await this.#nextValues();
        if (next === undefined) {
          over = completed = true;
          return { value: undefined, done: true };
        }
        values = next;
        at = 1;
        return { value: values[0] as R, done: false };
      } catch (err) {
        over = true;
        throw err;
      }
    };
    return {
      next: () => (at < values.length ? Promise.resolve({ value: values[at++] as R, done: false }) : more()),
      // A consumer that stops early (break, throw) cancels the rest, as closing a generator would.
      return: () => {
        over = true;
        values = NO_VALUES;
        if (!completed) void this.cancel();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  /** Each task's values as one array, in the stream's order (see `ResultStream.batches`). */
  batches(): AsyncIterable<R[]> {
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<R[]> => {
        let started = false;
        let over = false;
        let completed = false;
        return {
          next: async (): Promise<IteratorResult<R[]>> => {
            if (!started) {
              this.#claimIteration();
              started = true;
            }
            if (over) return { value: undefined, done: true };
            try {
              const values = await this.#nextValues();
              if (values === undefined) {
                over = completed = true;
                return { value: undefined, done: true };
              }
              // Handed over whole: the task no longer counts against the window.
              this.#consumed();
              return { value: (Array.isArray(values) ? values : Array.from(values)) as R[], done: false };
            } catch (err) {
              over = true;
              throw err;
            }
          },
          // A consumer that stops early (break, throw) cancels the rest, as the per-item loop does.
          return: () => {
            over = true;
            if (!completed) void this.cancel();
            return Promise.resolve({ value: undefined, done: true });
          },
        };
      },
    };
  }

  /**
   * The next task's values, in the stream's order, skipping (and counting as consumed) tasks that
   * returned none; a failed task throws its TaskError (a `UsageError` when refused for its size).
   * Undefined once every task was handed out. The caller counts the returned task as consumed when it
   * is done with it.
   */
  async #nextValues(): Promise<ArrayLike<unknown> | undefined> {
    for (;;) {
      const outcome = await this.#nextOutcome();
      if (!outcome) return undefined;
      const decoded = this.#decode(outcome);
      this.#throwIfFailed(outcome);
      if (decoded.length > 0) return decoded;
      this.#consumed();
    }
  }

  #claimIteration(): void {
    if (this.#iterating) throw new UsageError('a job’s results can be consumed only once');
    this.#iterating = true;
  }

  #consumed(): void {
    this.#consumedTasks++;
    const wake = this.#windowWaiter;
    if (wake && this.#sentTasks - this.#consumedTasks <= this.#windowResumeAt) {
      this.#windowWaiter = undefined;
      wake();
    }
  }

  #throwIfFailed(outcome: Outcome): void {
    if (!outcome.failure) return;
    const err = this.#taskError(outcome, outcome.failure, outcome.seq * this.#spec.chunksize + outcome.failure.itemOffset);
    void this.cancel(err);
    throw err;
  }

  /**
   * The error of a failed task: its `TaskError`, or, for a task the coordinator refused for its size
   * (sent before the pool knew the limit, see {@link CoordinatorChannel.maxTaskBytes}), the
   * `UsageError` this side throws for one it refuses itself.
   */
  #taskError(outcome: Outcome, f: pb.TaskFailure, index: number): TaskError | UsageError {
    if (f.code === TASK_TOO_LARGE_CODE && outcome.agent === '') return new UsageError(`coordinator ${this.#channel.address} refused a task: ${f.message}`);
    return new TaskError({
      kind: (f.kind || 'internal') as TaskFailureKind,
      remoteName: f.name,
      remoteMessage: f.message,
      remoteStack: f.stack,
      index,
      attempt: outcome.attempt,
      agent: outcome.agent,
      worker: outcome.worker,
      ...(f.kind === 'crashed' || f.kind === 'oom' ? { exitCode: f.exitCode } : {}),
      ...(f.signal ? { signal: f.signal } : {}),
      ...(f.stderrTail ? { stderrTail: f.stderrTail } : {}),
      ...(f.code ? { remoteCode: f.code } : {}),
    });
  }

  /** The next outcome to hand to the consumer, undefined when all were delivered. */
  async #nextOutcome(): Promise<Outcome | undefined> {
    for (;;) {
      // One of the two holds the outcomes, by the stream's kind (`#onResults`).
      const outcome = this.#ready?.shift() ?? this.#inOrder?.takeNext();
      if (outcome !== undefined) return outcome;
      if (this.#error) throw this.#error;
      if (this.#endState === 'completed') return undefined;
      await new Promise<void>((resolve) => (this.#consumerWaiter = resolve));
    }
  }

  #wakeConsumer(): void {
    const wake = this.#consumerWaiter;
    if (wake) {
      this.#consumerWaiter = undefined;
      wake();
    }
  }

  async #pump(source: Inputs<unknown>): Promise<void> {
    const { spread } = this.#spec;
    try {
      if (!spread && Array.isArray(source) && source[Symbol.iterator] === ARRAY_VALUES) {
        if (!(await this.#sendSlices(source))) return;
      } else if (!(await this.#sendIterated(source))) {
        return;
      }
      this.#flush();
      this.#inputEnded = true;
      if (this.#connected) this.#call!.write({ msg: { $case: 'inputEnd', value: { totalTasks: this.#sentTasks } } });
      this.#progress(undefined);
    } catch (err) {
      const reason = err instanceof DroverError ? err : new UsageError(
        `the input of job ${this.id} failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
      // Nobody will end its input: the job would stay open on the coordinator.
      if (this.#endState === 'open') void this.#stopWith(reason);
    }
  }

  /** Wait while the window is full; false once the job is no longer open. */
  async #windowOpen(): Promise<boolean> {
    while (this.#sentTasks - this.#consumedTasks >= this.#spec.window && this.#endState === 'open') {
      this.#flush();
      await new Promise<void>((resolve) => (this.#windowWaiter = resolve));
    }
    return this.#endState === 'open';
  }

  /**
   * An array of single arguments, a slice per task: what its iterator would give (read as the job goes,
   * holes as `undefined`), without an iterator step per item. False when the job stopped first.
   */
  async #sendSlices(source: readonly unknown[]): Promise<boolean> {
    const { chunksize, window } = this.#spec;
    for (let at = 0; at < source.length;) {
      if ((this.#sentTasks - this.#consumedTasks >= window || this.#endState !== 'open') && !(await this.#windowOpen())) return false;
      const end = Math.min(at + chunksize, source.length);
      this.#addTask(source.slice(at, end), false);
      at = end;
    }
    return true;
  }

  /** Any other input, item by item; false when the job stopped first. */
  async #sendIterated(source: Inputs<unknown>): Promise<boolean> {
    const { chunksize, spread, window } = this.#spec;
    const asyncIt = (source as AsyncIterable<unknown>)[Symbol.asyncIterator];
    const it: Iterator<unknown> | AsyncIterator<unknown> = asyncIt
      ? asyncIt.call(source)
      : (source as Iterable<unknown>)[Symbol.iterator]();
    const isAsync = Boolean(asyncIt);
    // One chunk array is reused for every task: the chunk is encoded at once and not kept, so
    // nothing is allocated per item here. Single arguments go as they are (no argument array each).
    const chunk: unknown[] = [];
    let filled = 0;
    const send = (): void => {
      chunk.length = filled;
      this.#addTask(chunk, spread);
      // Drop the references to the caller's values (they may be large).
      chunk.fill(undefined);
      filled = 0;
    };
    try {
      for (;;) {
        // Awaited only when it has to wait: an await per item would cost a microtask each.
        if ((this.#sentTasks - this.#consumedTasks >= window || this.#endState !== 'open') && !(await this.#windowOpen())) return false;
        const step = isAsync ? await it.next() : (it as Iterator<unknown>).next();
        if (step.done) break;
        if (this.#endState !== 'open') return false;
        chunk[filled] = spread ? toArgs(step.value, this.#sentItems + filled) : step.value;
        if (++filled === chunksize) send();
      }
    } finally {
      // Close the caller's generator when we stop early (cancel, failure).
      if (this.#endState !== 'open') await it.return?.();
    }
    if (filled > 0) send();
    return true;
  }

  /** Queue one task: `chunk` holds argument arrays (`spread`) or single arguments. */
  #addTask(chunk: readonly unknown[], spread: boolean): void {
    const firstIndex = this.#sentItems;
    const payload = encodeTaskPayload(chunk, spread);
    const coordinatorMax = this.#channel.maxTaskBytes;
    if (payload.length > MAX_TASK_PAYLOAD_BYTES || (coordinatorMax > 0 && payload.length > coordinatorMax)) {
      // grpc-js would refuse the message on this side with a bare "size larger than" error; the
      // coordinator, its whole job stream (every call in flight on an apply session with it).
      const items = chunk.length === 1 ? `item ${firstIndex}` : `items ${firstIndex}–${firstIndex + chunk.length - 1}`;
      const limit = coordinatorMax > 0 && coordinatorMax < MAX_TASK_PAYLOAD_BYTES
        ? `the ${mib(coordinatorMax)} MiB coordinator ${this.#channel.address} accepts (its --max-task-bytes)`
        : `one message to the coordinator carries (${mib(MAX_MESSAGE_BYTES)} MiB; a coordinator's --max-task-bytes is lower still by default)`;
      throw new UsageError(
        `task ${this.#sentTasks} of job ${this.id} (${items}) encodes to ${mib(payload.length)} MiB, more than ${limit}. ` +
          `Send large data as a file: ` +
          `\`const { digest } = await pool.uploadFile(path)\` here, \`await context.fetchBlob(digest)\` in the task.`,
      );
    }
    // A large task goes in a message of its own rather than on top of a batch of others.
    if (this.#batch.tasks > 0 && this.#batch.payloadBytes + payload.length > BATCH_BYTES) this.#flush();
    this.#batch.add(this.#sentTasks, payload, chunk.length, firstIndex);
    this.#sentTasks++;
    this.#sentItems += chunk.length;
    if (this.#batch.tasks >= BATCH_TASKS || this.#batch.payloadBytes >= BATCH_BYTES) {
      this.#flush();
    } else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.#flush();
      });
    }
  }

  #flush(): void {
    if (this.#batch.tasks === 0 || this.#endState !== 'open') return;
    // Every task added so far is in the batch; what is written is the replay buffer's copy, or,
    // for a message past BATCH_BYTES (one large task), the message itself, handed over uncopied.
    const bytes = this.#batch.payloadBytes > BATCH_BYTES
      ? this.#unaccepted.keep(this.#sentTasks, this.#batch.finishOwned())
      : this.#unaccepted.push(this.#sentTasks, this.#batch.finish());
    // While re-attaching, the batch waits in the replay buffer and goes out after `opened`.
    if (this.#connected) this.#call!.write(bytes);
  }

  #onMessage(msg: pb.JobResponse): void {
    const body = msg.msg;
    if (!body) return;
    switch (body.$case) {
      case 'results':
        this.#onResults(body.value.results);
        break;
      case 'progress':
        this.#onTaskProgress(body.value.progress);
        break;
      case 'end':
        this.#onEnd(body.value);
        break;
      case 'opened': {
        if (body.value.maxTaskBytes > 0) this.#channel.maxTaskBytes = body.value.maxTaskBytes;
        const waiter = this.#openedWaiter;
        this.#openedWaiter = undefined;
        waiter?.resolve(body.value);
        break;
      }
      case 'inputsAccepted':
        this.#acceptThrough(body.value.tasksAccepted);
        break;
    }
  }

  #onResults(results: pb.TaskResult[]): void {
    if (this.#endState !== 'open') return;
    const ordered = this.#spec.ordered && !this.#placing;
    for (const r of results) {
      if (!(r.seq >= 0 && r.seq < this.#sentTasks)) {
        // Never placed: a seq far ahead would grow the reorder ring (or `map`'s output array) to it.
        void this.#stopWith(new ConnectionError(
          `job ${this.id}: the coordinator sent a result for task ${r.seq}, but ${this.#sentTasks === 0 ? 'no task was' : `only tasks 0–${this.#sentTasks - 1} were`} sent ` +
            '(a coordinator fault; its log may say why). Run the job again.',
        ));
        return;
      }
      if (r.rseq > 0) {
        // A replay after re-attach starts after our last rseq; anything at or below it is a repeat.
        if (r.rseq <= this.#lastRseq) continue;
        this.#lastRseq = r.rseq;
        this.#everAccepted = true;
      }
      this.#receivedTasks++;
      const outcome: Outcome = { seq: r.seq, payload: undefined, payloadOffset: 0, payloadLength: 0, values: undefined, failure: undefined, attempt: r.attempt, agent: this.#name(r.agent), worker: this.#name(r.worker) };
      const body = r.outcome;
      if (body?.$case === 'value') {
        // Decoded when consumed: a batch of decoded values would outlive several young-generation
        // collections while the consumer works through it; the encoded bytes are one buffer.
        outcome.payload = body.value.buffer;
        outcome.payloadOffset = body.value.byteOffset;
        outcome.payloadLength = body.value.byteLength;
        if (this.#spec.options.onProgress) this.#completedItems += this.#decode(outcome).length;
      } else {
        outcome.failure = body?.$case === 'failure' ? body.value : internalFailure(`task ${r.seq} returned nothing`);
      }
      if (this.#calls) {
        this.#settleCall(outcome);
      } else if (ordered) {
        (this.#inOrder ??= new OutcomeReorderBuffer()).place(outcome);
      } else {
        (this.#ready ??= new OutcomeQueue()).push(outcome);
      }
    }
    if (this.#connected && this.#lastRseq - this.#receivedReported >= RECEIVED_REPORT_EVERY) {
      this.#receivedReported = this.#lastRseq;
      this.#call!.write({ msg: { $case: 'resultsReceived', value: { throughRseq: this.#lastRseq } } });
    }
    this.#progress(undefined);
    this.#wakeConsumer();
  }

  /**
   * One copy of each agent and worker name: every result's message decodes its own copies, which the
   * outcomes waiting for the consumer would otherwise keep (see {@link Outcome}).
   */
  #name(name: string): string {
    const kept = this.#names.get(name);
    if (kept !== undefined) return kept;
    if (this.#names.size < NAMES_KEPT) this.#names.set(name, name);
    return name;
  }

  /** The outcome's values, decoded on first use; a payload that does not decode becomes the task's failure. */
  #decode(outcome: Outcome): ArrayLike<unknown> {
    if (outcome.values === undefined && outcome.payload !== undefined) {
      try {
        outcome.values = decodeItems(new Uint8Array(outcome.payload, outcome.payloadOffset, outcome.payloadLength));
      } catch (err) {
        outcome.failure = { ...internalFailure(`could not decode the result of task ${outcome.seq}: ${(err as Error).message}`), name: 'CodecError', code: 'DROVER_CODEC' };
        outcome.values = [];
      }
      outcome.payload = undefined;
    }
    return outcome.values ?? [];
  }

  /** Call mode: hand a task's outcome to the call that submitted it (a repeat finds none and is dropped). */
  #settleCall(outcome: Outcome): void {
    const call = this.#calls!.get(outcome.seq);
    if (!call) return;
    this.#calls!.delete(outcome.seq);
    this.#decode(outcome);
    if (outcome.failure) call.reject(this.#taskError(outcome, outcome.failure, 0));
    else call.resolve(outcome.values![0]);
  }

  #onTaskProgress(items: pb.TaskProgress[]): void {
    if (!this.#spec.options.onProgress) return;
    for (const p of items) {
      let value: unknown;
      try {
        value = decodeValue(p.value);
      } catch {
        continue;
      }
      this.#progress({ index: p.seq * this.#spec.chunksize, value, agent: p.agent, worker: p.worker });
    }
  }

  #progress(task: { index: number; value: unknown; agent: string; worker: string } | undefined): void {
    const onProgress = this.#spec.options.onProgress;
    if (!onProgress) return;
    try {
      onProgress({
        completed: this.#completedItems,
        submitted: this.#sentItems,
        ...(this.#inputEnded ? { total: this.#sentItems } : {}),
        ...(task ? { task } : {}),
      });
    } catch {
      // A throwing progress callback must not break the job.
    }
  }

  #onEnd(end: pb.JobEnd): void {
    if (this.#endState !== 'open') return;
    if (end.state === 'completed') {
      if (this.#calls && this.#calls.size > 0) {
        this.#fail(new ConnectionError(`job ${this.id} completed on the coordinator with ${this.#calls.size} call(s) still waiting for a result`));
        return;
      }
      if (this.#receivedTasks < this.#sentTasks) {
        // Never a silently short (or holed) result: the coordinator lost results it had stored.
        const missing = this.#sentTasks - this.#receivedTasks;
        this.#fail(new ConnectionError(
          `job ${this.id} completed on the coordinator, but the results of ${missing} of its ${this.#sentTasks} task(s) never arrived ` +
            '(the coordinator lost them; its log says why). Run the job again.',
        ));
        return;
      }
      this.#endState = 'completed';
      this.#resolveDone();
      this.#wakeConsumer();
      this.#call?.end();
      return;
    }
    if (end.state === 'cancelled') {
      this.#fail(new CancelledError(`job ${this.id} was cancelled${end.message ? `: ${end.message}` : ''}`));
    } else {
      this.#fail(new ConnectionError(`job ${this.id} failed on the coordinator: ${end.message || end.state}`));
    }
  }

  #onStreamError(err: ServiceError): void {
    if (this.#endState !== 'open') return;
    if (err.code === GrpcStatus.CANCELLED) {
      this.#fail(new CancelledError(`job ${this.id} was cancelled`, { cause: err }));
    } else if (isTransient(err)) {
      void this.#reattach(err);
    } else if (isRefusal(err)) {
      // The job broke a limit or sent something invalid: nothing was lost, and a retry would be refused again.
      this.#fail(new UsageError(`coordinator ${this.#channel.address} refused job ${this.id}: ${err.details || err.message} (gRPC ${GrpcStatus[err.code]})`, { cause: err }));
    } else {
      this.#fail(
        new ConnectionError(
          `lost job ${this.id} on coordinator ${this.#channel.address}: ${err.details || err.message} (gRPC ${GrpcStatus[err.code]})`,
          { cause: err },
        ),
      );
    }
  }

  #startCall(first: pb.JobRequest): number {
    const call = this.#channel.runJob();
    const generation = ++this.#generation;
    call.on('data', (msg: pb.JobResponse) => {
      if (generation === this.#generation) this.#onMessage(msg);
    });
    call.on('error', (err: ServiceError) => {
      if (generation !== this.#generation) return;
      const waiter = this.#openedWaiter;
      this.#openedWaiter = undefined;
      // A re-attach in progress decides itself: NOT_FOUND there means "open it again", not "lost".
      if (waiter && err.code !== GrpcStatus.CANCELLED) return waiter.reject(err);
      waiter?.reject(err);
      this.#onStreamError(err);
    });
    call.on('end', () => {
      if (generation !== this.#generation || this.#endState !== 'open') return;
      // A stream that ends without `end` was cut (e.g. the coordinator is shutting down): re-attach.
      const err = Object.assign(new Error('the coordinator ended the job stream early'), { code: GrpcStatus.UNAVAILABLE, details: 'stream ended early' });
      this.#openedWaiter?.reject(err);
      this.#openedWaiter = undefined;
      void this.#reattach(err);
    });
    call.write(first);
    this.#call = call;
    return generation;
  }

  #dropCall(): void {
    this.#generation++;
    this.#connected = false;
    this.#call?.cancel();
    this.#call = undefined;
  }

  /**
   * The stream broke while the job runs on: reconnect with backoff, re-attach from the last result
   * received, and re-send the inputs the coordinator had not yet made durable. Exactly one result per
   * item reaches the consumer whatever the number of reconnects.
   */
  async #reattach(cause: unknown): Promise<void> {
    if (this.#reattaching || this.#endState !== 'open') return;
    this.#reattaching = true;
    this.#dropCall();
    const timeoutMs = this.#channel.reconnectTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    let delay = 100;
    try {
      while (this.#endState === 'open') {
        if (Date.now() > deadline) {
          this.#fail(
            new ConnectionError(
              `lost job ${this.id}: could not re-attach to coordinator ${this.#channel.address} within ${timeoutMs} ms ` +
                '(is it running? the job goes on there and can be attached again)',
              { cause },
            ),
          );
          return;
        }
        await new Promise((r) => setTimeout(r, delay * (0.75 + Math.random() / 2)));
        delay = Math.min(delay * 2, 2000);
        if (this.#endState !== 'open') return;
        try {
          await this.#resume();
          return;
        } catch (err) {
          cause = err;
          const code = (err as ServiceError).code;
          if (code === GrpcStatus.NOT_FOUND && !this.#everAccepted) continue; // retried as a fresh open in #resume
          if (!isTransient(err as ServiceError)) {
            const hint = code === GrpcStatus.NOT_FOUND
              ? ' (the coordinator no longer knows it: was it restarted without --data?)'
              : '';
            this.#fail(new ConnectionError(`could not re-attach job ${this.id}: ${(err as ServiceError).details || String(err)}${hint}`, { cause: err }));
            return;
          }
        }
      }
    } finally {
      this.#reattaching = false;
    }
  }

  async #resume(): Promise<void> {
    const opened = new Promise<pb.JobOpened>((resolve, reject) => (this.#openedWaiter = { resolve, reject }));
    // If nothing of the job was ever durable, the coordinator may not know it: open it again, same id.
    const reopen = !this.#everAccepted && this.#attachRefused;
    this.#startCall(reopen ? this.#openMessage : { msg: { $case: 'attach', value: { jobId: this.id, afterRseq: this.#lastRseq } } });
    let info: pb.JobOpened;
    try {
      info = await opened;
    } catch (err) {
      this.#attachRefused = (err as ServiceError).code === GrpcStatus.NOT_FOUND;
      this.#dropCall();
      throw err;
    }
    this.#acceptThrough(info.tasksAccepted);
    const call = this.#call!;
    for (const bytes of this.#unaccepted.pending()) call.write(bytes);
    if (this.#inputEnded && !info.inputEnded) call.write({ msg: { $case: 'inputEnd', value: { totalTasks: this.#sentTasks } } });
    this.#connected = true;
    this.#flush();
  }

  /** The coordinator holds tasks 0..n-1 durably: they need no replay any more. */
  #acceptThrough(n: number): void {
    if (n > 0) this.#everAccepted = true;
    this.#unaccepted.acceptThrough(n);
  }

  #fail(err: Error): void {
    if (this.#endState !== 'open') return;
    this.#endState = 'failed';
    this.#error = err;
    if (this.#calls) {
      for (const call of this.#calls.values()) call.reject(err);
      this.#calls.clear();
    }
    if (this.#cancelCall) void this.#cancelCall.then(() => this.#resolveDone());
    else this.#resolveDone();
    this.#wakeConsumer();
    const wake = this.#windowWaiter;
    this.#windowWaiter = undefined;
    wake?.();
  }
}

/** Statuses the coordinator answers a request it will not take with (a limit, an invalid field): see docs/security.md "Limits". */
function isRefusal(err: ServiceError): boolean {
  return err.code === GrpcStatus.INVALID_ARGUMENT || err.code === GrpcStatus.RESOURCE_EXHAUSTED || err.code === GrpcStatus.OUT_OF_RANGE;
}

/** Bytes as MiB for a message: one decimal, none when whole. */
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1).replace(/\.0$/, '');

/** Failures after which the same job can be attached again (coordinator restart, network blip). */
function isTransient(err: ServiceError): boolean {
  return err.code === GrpcStatus.UNAVAILABLE || err.code === GrpcStatus.UNKNOWN || err.code === GrpcStatus.INTERNAL ||
    err.code === GrpcStatus.DEADLINE_EXCEEDED;
}

function internalFailure(message: string): pb.TaskFailure {
  return { kind: 'internal', name: 'DroverError', message, stack: '', itemOffset: 0, exitCode: 0, signal: '', stderrTail: '', retryable: false, code: '' };
}

/** Copy `values` into `out` from `at`; returns the index after the last. */
function copyInto(out: unknown[], at: number, values: ArrayLike<unknown>): number {
  for (let i = 0; i < values.length; i++) out[at + i] = values[i];
  return at + values.length;
}

function toArgs(item: unknown, index: number): unknown[] {
  if (Array.isArray(item)) return item;
  throw new UsageError(`starmap item ${index} is not an array of arguments: wrap single arguments, e.g. [[1, 2], [3, 4]]`);
}
