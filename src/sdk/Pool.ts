import { isAbsolute, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CancelledError, PoolClosedError, UsageError } from '../protocol/index.ts';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ApplySession } from './ApplySession.ts';
import { AsyncResult } from './AsyncResult.ts';
import { BlobDownloader } from './BlobDownloader.ts';
import { BlobUploader, type BlobRef } from './BlobUploader.ts';
import type { CommandResult, WireCommandSpec } from './builtin/CommandSpec.ts';
import type { CommandSpec } from './CommandSpec.ts';
import { SumoRunner } from './sumo/SumoRunner.ts';
import { bundleTaskModule } from './bundleTaskModule.ts';
import type { CoordinatorChannel } from './CoordinatorChannel.ts';
import type { EmbeddedCluster } from './EmbeddedCluster.ts';
import { JobStream, type Inputs } from './JobStream.ts';
import { MapJob } from './MapJob.ts';
import type { ResultStream } from './ResultStream.ts';
import type { TaskOptions } from './TaskOptions.ts';
import { makeTaskStub, taskRefOf } from './TaskRef.ts';

/** Any exported task function. */
export type TaskFunction = (...args: never[]) => unknown;
/** What a task function's call resolves to on the caller's side. */
export type TaskResultOf<F extends TaskFunction> = Awaited<ReturnType<F>>;

const DEFAULT_WINDOW = 1024;

/** drover's own task module (command tasks, SUMO runs), shipped like any other. */
export type BuiltinTasks = typeof import('./builtin/builtinTasks.ts');
const builtinTasksUrl = new URL('./builtin/builtinTasks.ts', import.meta.url);

/**
 * A pool of worker processes spread over a drover cluster, with the verbs of Python's
 * `multiprocessing.Pool`. Get one from `connect()`.
 *
 * @example
 * await using pool = await connect();
 * const tasks = await pool.load<typeof import('./tasks.ts')>(new URL('./tasks.ts', import.meta.url));
 * const squares = await pool.map(tasks.square, [1, 2, 3]);
 */
export class Pool implements AsyncDisposable {
  /** The coordinator this pool talks to (`host:port`). */
  readonly address: string;
  readonly #channel: CoordinatorChannel;
  readonly #uploader: BlobUploader;
  readonly #downloader: BlobDownloader;
  #builtins: Promise<BuiltinTasks> | undefined;
  #sumo: SumoRunner | undefined;
  readonly #cluster: EmbeddedCluster | undefined;
  readonly #jobs = new Set<JobStream<unknown>>();
  /** Open apply sessions by function and options (see {@link ApplySession}). */
  readonly #sessions = new Map<string, ApplySession>();
  #state: 'open' | 'closing' | 'closed' = 'open';
  #closing: Promise<void> | undefined;

  /** @internal use `connect()` */
  constructor(channel: CoordinatorChannel, cluster?: EmbeddedCluster) {
    this.#channel = channel;
    this.#cluster = cluster;
    this.#uploader = new BlobUploader(channel);
    this.#downloader = new BlobDownloader(channel);
    this.address = channel.address;
  }

  /** SUMO runs and sweeps on the cluster's SUMO agents. */
  get sumo(): SumoRunner {
    return (this.#sumo ??= new SumoRunner(this));
  }

  /** @internal bundle uploads actually sent by this pool (tests check deduplication). */
  get uploadCount(): number {
    return this.#uploader.uploads;
  }

  /** @internal the embedded cluster, when `connect()` started one. */
  get embedded(): EmbeddedCluster | undefined {
    return this.#cluster;
  }

  /**
   * Bundle a task module (with its imports) and ship it to the cluster by content digest.
   * Returns stand-ins for its exports, to pass to the verbs.
   */
  async load<T extends object = Record<string, TaskFunction>>(module: URL | string): Promise<T> {
    this.#assertOpen();
    const modulePath = typeof module === 'string'
      ? (module.startsWith('file:') ? fileURLToPath(module) : isAbsolute(module) ? module : resolvePath(module))
      : fileURLToPath(module);
    const bundle = await bundleTaskModule(modulePath);
    await this.#uploader.ensure(bundle.digest, bundle.bytes);
    const stubs: Record<string, unknown> = {};
    for (const exportName of bundle.exports) {
      stubs[exportName] = makeTaskStub({ bundleDigest: bundle.digest, exportName, modulePath });
    }
    return new Proxy(Object.freeze(stubs), {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && !(prop in target) && prop !== 'then') {
          throw new UsageError(
            `${modulePath} has no export named ${prop} (it exports: ${bundle.exports.join(', ') || 'nothing'})`,
          );
        }
        return Reflect.get(target, prop, receiver);
      },
    }) as T;
  }

  /** Apply `fn` to every item; results in input order. Rejects with the first failure. */
  async map<F extends TaskFunction>(fn: F, items: Inputs<Parameters<F>[0]>, options: TaskOptions = {}): Promise<TaskResultOf<F>[]> {
    const stream = await this.#start<TaskResultOf<F>>(fn, items, options, { verb: 'map', spread: false, ordered: true, collect: true });
    return stream.collect();
  }

  /** Like `map`, but each item is an argument array: `starmap(add, [[1, 2], [3, 4]])`. */
  async starmap<F extends TaskFunction>(fn: F, items: Inputs<Parameters<F>>, options: TaskOptions = {}): Promise<TaskResultOf<F>[]> {
    const stream = await this.#start<TaskResultOf<F>>(fn, items, options, { verb: 'starmap', spread: true, ordered: true, collect: true });
    return stream.collect();
  }

  /** Stream results in input order as they become available (or a task's worth at a time: `.batches()`). */
  imap<F extends TaskFunction>(fn: F, items: Inputs<Parameters<F>[0]>, options: TaskOptions = {}): ResultStream<TaskResultOf<F>> {
    return this.#iterate<TaskResultOf<F>>(fn, items, options, 'imap', true);
  }

  /** Stream results in completion order (or a task's worth at a time: `.batches()`). */
  imapUnordered<F extends TaskFunction>(fn: F, items: Inputs<Parameters<F>[0]>, options: TaskOptions = {}): ResultStream<TaskResultOf<F>> {
    return this.#iterate<TaskResultOf<F>>(fn, items, options, 'imapUnordered', false);
  }

  /** Run one task and wait for its value: `await pool.apply(tasks.add, 2, 3)`. */
  apply<F extends TaskFunction>(fn: F, ...args: Parameters<F>): Promise<TaskResultOf<F>> {
    try {
      return this.#session(fn, {}).call<TaskResultOf<F>>(args);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Start one task; the handle's `get({ timeoutMs })` waits for it. Calls with the same function and
   * options share one open job (an apply session); with a `signal` or `onProgress` a call gets a job of its own.
   */
  applyAsync<F extends TaskFunction>(fn: F, args: Parameters<F>, options: TaskOptions = {}): AsyncResult<TaskResultOf<F>> {
    if (options.signal || options.onProgress) {
      const stream = this.#startNow<TaskResultOf<F>>(fn, [args], options, { verb: 'applyAsync', spread: true, ordered: true, chunksize: 1 });
      return new AsyncResult(stream.id, stream.collect().then((values) => values[0] as TaskResultOf<F>));
    }
    const session = this.#session(fn, options);
    return new AsyncResult(session.jobId, session.call<TaskResultOf<F>>(args));
  }

  /** Start a map job and return its handle at once (`job.id`, `job.result()`, `job.cancel()`). */
  mapAsync<F extends TaskFunction>(fn: F, items: Inputs<Parameters<F>[0]>, options: TaskOptions = {}): MapJob<TaskResultOf<F>> {
    const chunksize = options.chunksize ?? 1;
    return new MapJob(this.#startNow<TaskResultOf<F>>(fn, items, options, { verb: 'mapAsync', spread: false, ordered: true, chunksize }));
  }

  /** `mapAsync` with argument arrays. */
  starmapAsync<F extends TaskFunction>(fn: F, items: Inputs<Parameters<F>>, options: TaskOptions = {}): MapJob<TaskResultOf<F>> {
    const chunksize = options.chunksize ?? 1;
    return new MapJob(this.#startNow<TaskResultOf<F>>(fn, items, options, { verb: 'starmapAsync', spread: true, ordered: true, chunksize }));
  }

  /**
   * Run an executable on an agent in a fresh scratch directory: inputs staged in, declared outputs
   * collected back (download them with {@link downloadBlob}), exit code and output tails returned.
   *
   * @example
   * const r = await pool.exec({ command: 'wc', args: ['-l', 'data.csv'], inputs: { 'data.csv': './data.csv' } });
   * console.log(r.exitCode, r.stdoutTail);
   */
  async exec(spec: CommandSpec, options: TaskOptions = {}): Promise<CommandResult> {
    const builtins = await this.#loadBuiltins();
    const wire = await this.#wireCommand(spec);
    const stream = this.#startNow<CommandResult>(builtins.runCommand, [[wire]], options, { verb: 'exec', spread: true, ordered: true, chunksize: 1 });
    const [result] = await stream.collect();
    return result!;
  }

  /** Run many commands; results in completion order. Inputs are uploaded lazily, once per content. */
  async *execMany(specs: Inputs<CommandSpec>, options: TaskOptions = {}): AsyncIterable<CommandResult> {
    const builtins = await this.#loadBuiltins();
    const self = this;
    async function* wired() {
      for await (const spec of specs as AsyncIterable<CommandSpec>) yield [await self.#wireCommand(spec)];
    }
    const stream = this.#startNow<CommandResult>(builtins.runCommand, wired(), options, {
      verb: 'execMany', spread: true, ordered: false, chunksize: options.chunksize ?? 1,
    });
    yield* stream;
  }

  /** Put a local file in the cluster's blob store (once per content) and name it by digest. */
  uploadFile(path: string): Promise<BlobRef> {
    this.#assertOpen();
    return this.#uploader.uploadFile(path);
  }

  /** Upload every file under a directory (skipping dot-files); returns relative path → digest. */
  async uploadDirectory(dir: string): Promise<Record<string, string>> {
    this.#assertOpen();
    const files: Record<string, string> = {};
    const walk = async (d: string): Promise<void> => {
      for (const entry of await readdir(d, { withFileTypes: true })) {
        if (entry.name.startsWith('.')) continue;
        const full = join(d, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile()) files[relative(dir, full).split('\\').join('/')] = (await this.#uploader.uploadFile(full)).digest;
      }
    };
    await walk(dir);
    return files;
  }

  /** Read a blob (e.g. a command's output) into memory, verified against its digest. */
  readBlob(digest: string): Promise<Buffer> {
    return this.#downloader.read(digest);
  }

  /** Write a blob to a local file, verified against its digest. */
  downloadBlob(digest: string, path: string): Promise<void> {
    return this.#downloader.download(digest, path);
  }

  /** @internal drover's built-in task module, bundled and uploaded once per pool. */
  loadBuiltins(): Promise<BuiltinTasks> {
    return this.#loadBuiltins();
  }

  #loadBuiltins(): Promise<BuiltinTasks> {
    this.#assertOpen();
    if (!this.#builtins) {
      this.#builtins = this.load<BuiltinTasks>(builtinTasksUrl);
      this.#builtins.catch(() => (this.#builtins = undefined));
    }
    return this.#builtins;
  }

  async #wireCommand(spec: CommandSpec): Promise<WireCommandSpec> {
    if (!spec || typeof spec.command !== 'string' || spec.command === '') {
      throw new UsageError('exec: give a command to run, e.g. { command: "sumo", args: ["-c", "run.sumocfg"] }');
    }
    const inputs: Record<string, string> = {};
    for (const [name, source] of Object.entries(spec.inputs ?? {})) {
      if (typeof source === 'string') inputs[name] = (await this.#uploader.uploadFile(source)).digest;
      else if (source instanceof Uint8Array) inputs[name] = (await this.#uploader.uploadBytes(source)).digest;
      else inputs[name] = source.digest;
    }
    return {
      command: spec.command,
      args: spec.args ?? [],
      env: spec.env ?? {},
      inputs,
      outputs: spec.outputs ?? [],
      cwd: spec.cwd ?? '',
      keepScratch: spec.keepScratch ?? false,
      check: spec.check ?? false,
    };
  }

  /** Take no new work, let submitted jobs finish, then disconnect (and stop the embedded cluster). */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#state = 'closing';
      this.#closing = (async () => {
        for (const session of this.#sessions.values()) void session.end();
        while (this.#jobs.size > 0) await Promise.all([...this.#jobs].map((j) => j.done));
        await this.#shutdown();
      })();
    }
    return this.#closing;
  }

  /** Stop at once: cancel every outstanding job (their calls reject with `CancelledError`), then disconnect. */
  async terminate(): Promise<void> {
    this.#state = 'closing';
    await Promise.all([...this.#jobs].map((j) => j.cancel(new CancelledError('the pool was terminated'))));
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #shutdown(): Promise<void> {
    this.#channel.close();
    try {
      await this.#cluster?.stop();
    } finally {
      this.#state = 'closed';
    }
  }

  #assertOpen(): void {
    if (this.#state !== 'open') {
      throw new PoolClosedError(
        `this pool is ${this.#state === 'closing' ? 'closing' : 'closed'}: no new work can be submitted; call connect() again for a new pool`,
      );
    }
  }

  /** The open apply session for this function and options, opened on first use. */
  #session(fn: TaskFunction, options: TaskOptions): ApplySession {
    this.#assertOpen();
    const ref = taskRefOf(fn);
    validateOptions(options, 1);
    // Everything that shapes the job's open message; calls differing in any of it need their own job.
    const plain = options.requires === undefined && options.timeoutMs === undefined && options.retries === undefined && options.retryOn === undefined;
    const key = plain
      ? `${ref.bundleDigest}:${ref.exportName}`
      : JSON.stringify([ref.bundleDigest, ref.exportName, options.requires ?? null, options.timeoutMs ?? null, options.retries ?? null, options.retryOn ?? null]);
    const open = this.#sessions.get(key);
    if (open?.accepting) return open;
    const session = new ApplySession(this.#channel, {
      ref,
      name: `apply ${ref.exportName}`,
      options: { ...(options.requires ? { requires: options.requires } : {}), ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}), ...(options.retries !== undefined ? { retries: options.retries } : {}), ...(options.retryOn ? { retryOn: options.retryOn } : {}) },
      chunksize: 1,
      window: DEFAULT_WINDOW,
      spread: true,
      ordered: false,
    });
    this.#sessions.set(key, session);
    const stream = session.stream;
    this.#jobs.add(stream);
    void stream.done.then(() => {
      this.#jobs.delete(stream);
      if (this.#sessions.get(key) === session) this.#sessions.delete(key);
    });
    return session;
  }

  #iterate<R>(fn: TaskFunction, items: Inputs<unknown>, options: TaskOptions, verb: string, ordered: boolean): ResultStream<R> {
    const stream = this.#startNow<R>(fn, items, options, { verb, spread: false, ordered, chunksize: options.chunksize ?? 1 });
    return { [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](), batches: () => stream.batches() };
  }

  async #start<R>(
    fn: TaskFunction,
    items: Inputs<unknown>,
    options: TaskOptions,
    how: { verb: string; spread: boolean; ordered: boolean; collect?: boolean },
  ): Promise<JobStream<R>> {
    this.#assertOpen();
    let chunksize = options.chunksize;
    if (chunksize === undefined) {
      // Python's rule for map over a sized input: about four chunks per worker.
      const length = Array.isArray(items) ? items.length : undefined;
      chunksize = 1;
      // Up to four items the rule gives 1 whatever the slots: no stats round trip (every `apply`).
      if (length !== undefined && length > 4) {
        const stats = await this.#channel.stats();
        const slots = Math.max(1, stats.slots);
        chunksize = Math.max(1, Math.ceil(length / (slots * 4)));
      }
    }
    return this.#startNow<R>(fn, items, options, { ...how, chunksize });
  }

  #startNow<R>(
    fn: TaskFunction,
    items: Inputs<unknown>,
    options: TaskOptions,
    how: { verb: string; spread: boolean; ordered: boolean; chunksize: number; collect?: boolean },
  ): JobStream<R> {
    this.#assertOpen();
    const ref = taskRefOf(fn);
    validateOptions(options, how.chunksize);
    if (items === null || items === undefined || (typeof items !== 'object' && typeof items !== 'string')) {
      throw new UsageError(`${how.verb}: inputs must be an array, an iterable or an async iterable, got ${items === null ? 'null' : typeof items}`);
    }
    const stream = new JobStream<R>(
      this.#channel,
      {
        ref,
        name: `${how.verb} ${ref.exportName}`,
        options,
        chunksize: how.chunksize,
        window: options.window ?? DEFAULT_WINDOW,
        spread: how.spread,
        ordered: how.ordered,
        collect: how.collect,
      },
      items,
    );
    this.#jobs.add(stream as JobStream<unknown>);
    void stream.done.then(() => this.#jobs.delete(stream as JobStream<unknown>));
    return stream;
  }
}

function validateOptions(options: TaskOptions, chunksize: number): void {
  const positiveInt = (name: string, v: number | undefined) => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new UsageError(`option ${name} must be a positive integer, got ${v}`);
  };
  positiveInt('chunksize', chunksize);
  positiveInt('window', options.window);
  if (options.timeoutMs !== undefined && (!Number.isFinite(options.timeoutMs) || options.timeoutMs < 0)) {
    throw new UsageError(`option timeoutMs must be a non-negative number of milliseconds, got ${options.timeoutMs}`);
  }
  if (options.retries !== undefined && (!Number.isInteger(options.retries) || options.retries < 0)) {
    throw new UsageError(`option retries must be a non-negative integer, got ${options.retries}`);
  }
}
