import { TimeoutError } from '../protocol/index.ts';

/**
 * The handle `applyAsync` returns, like Python's `AsyncResult`: `get()` waits for the value
 * (or the task's error); `get({ timeoutMs })` gives up waiting with a {@link TimeoutError}
 * while the task itself goes on.
 *
 * @example
 * const h = pool.applyAsync(tasks.slow, [10]);
 * try { await h.get({ timeoutMs: 1000 }); } catch (e) { if (e instanceof TimeoutError) ... }
 */
export class AsyncResult<T> {
  /** Id of the job carrying this task. */
  readonly jobId: string;
  readonly #promise: Promise<T>;
  #state: 'pending' | 'fulfilled' | 'rejected' = 'pending';

  constructor(jobId: string, promise: Promise<T>) {
    this.jobId = jobId;
    this.#promise = promise;
    promise.then(
      () => (this.#state = 'fulfilled'),
      () => (this.#state = 'rejected'),
    );
  }

  /** The task's value; rejects with its `TaskError`, or with `TimeoutError` if `timeoutMs` passes first. */
  get(options: { timeoutMs?: number } = {}): Promise<T> {
    const { timeoutMs } = options;
    if (timeoutMs === undefined) return this.#promise;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TimeoutError(`no result within ${timeoutMs} ms for job ${this.jobId} (the task keeps running)`)),
        timeoutMs,
      );
    });
    return Promise.race([this.#promise, timeout]).finally(() => clearTimeout(timer));
  }

  /** Wait until the result is ready (or `timeoutMs` passes); never rejects. */
  async wait(options: { timeoutMs?: number } = {}): Promise<void> {
    await this.get(options).catch(() => undefined);
  }

  /** Whether the task has finished, successfully or not. */
  ready(): boolean {
    return this.#state !== 'pending';
  }

  /** Whether the task finished without error; throws if it is not ready yet (as Python does). */
  successful(): boolean {
    if (this.#state === 'pending') throw new Error(`job ${this.jobId} is not ready yet`);
    return this.#state === 'fulfilled';
  }
}
