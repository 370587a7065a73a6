import type { CoordinatorChannel } from './CoordinatorChannel.ts';
import { JobStream, type JobSpec } from './JobStream.ts';

/** How long a session with no call in flight stays open for the next one. */
const DEFAULT_IDLE_MS = 2_000;

/**
 * The long-lived path `apply` and `applyAsync` take: one open job (one stream) per function and
 * options, each call one task on it with its result routed back to it. A call then costs one input
 * message and one result message instead of a stream and a job of its own. A failing task rejects
 * only its own call. The session ends its job (input end) when the pool closes or after
 * `idleMs` with nothing in flight; a later call opens a new one.
 *
 * Everything a job guarantees holds per call: the job stream re-attaches across coordinator
 * restarts and replays inputs not yet durable and results not yet received, so each call gets
 * exactly one result.
 */
export class ApplySession {
  readonly #stream: JobStream<unknown>;
  readonly #idleMs: number;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(channel: CoordinatorChannel, spec: JobSpec, idleMs = DEFAULT_IDLE_MS) {
    this.#stream = new JobStream<unknown>(channel, spec);
    this.#idleMs = idleMs;
    void this.#stream.done.then(() => this.#clearIdle());
  }

  /** The id of the job carrying this session's calls. */
  get jobId(): string {
    return this.#stream.id;
  }

  /** The job stream (the pool tracks it with its other jobs). */
  get stream(): JobStream<unknown> {
    return this.#stream;
  }

  /** Whether another call may be submitted here. */
  get accepting(): boolean {
    return this.#stream.accepting;
  }

  /** Run one task with these arguments and wait for its value (or its own `TaskError`). */
  call<R>(args: unknown[]): Promise<R> {
    this.#clearIdle();
    const result = this.#stream.submit(args) as Promise<R>;
    const settled = (): void => {
      if (this.#stream.inFlight === 0 && this.#stream.accepting) this.#armIdle();
    };
    result.then(settled, settled);
    return result;
  }

  /** Take no more calls; the job completes once those in flight have their results. */
  end(): Promise<void> {
    this.#clearIdle();
    this.#stream.endInput();
    return this.#stream.done;
  }

  #armIdle(): void {
    this.#clearIdle();
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#stream.inFlight === 0) this.#stream.endInput();
    }, this.#idleMs);
    // An idle session must not keep the process alive by itself.
    this.#idleTimer.unref();
  }

  #clearIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }
}
