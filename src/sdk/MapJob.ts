import type { JobStream } from './JobStream.ts';

/**
 * The handle `mapAsync` returns: the job's id at once, its results when they are all in,
 * and a way to cancel it.
 *
 * @example
 * const job = pool.mapAsync(tasks.simulate, seeds);
 * console.log(job.id);
 * const results = await job.result();
 */
export class MapJob<T> {
  readonly id: string;
  readonly #stream: JobStream<T>;
  readonly #result: Promise<T[]>;

  constructor(stream: JobStream<T>) {
    this.id = stream.id;
    this.#stream = stream;
    this.#result = stream.collect();
    // Callers may never ask for the result; an unobserved rejection must not crash them.
    this.#result.catch(() => undefined);
  }

  /** All results in input order; rejects with the first `TaskError`, or `CancelledError`. */
  result(): Promise<T[]> {
    return this.#result;
  }

  /** Cancel the job: queued tasks are dropped and running ones killed. */
  cancel(): Promise<void> {
    return this.#stream.cancel();
  }
}
