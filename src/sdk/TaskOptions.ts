/** What a task needs from the agent that runs it. Numbers are "at least"; labels must match exactly. */
export interface Requirements {
  /** Pool slots (cores) the task occupies; default 1. */
  cpus?: number;
  /** Memory the agent must offer, in MiB. */
  memoryMb?: number;
  /** Needs SUMO: `true` for any version, or a range such as `'>=1.15'`. */
  sumo?: boolean | string;
  labels?: Record<string, string>;
  resources?: Record<string, number>;
  /**
   * When agents are connected but none could ever satisfy these requirements, how long to wait for
   * a suitable one to join before the tasks fail with a `TaskError` of kind `unschedulable`. Default 0.
   * With no agent connected at all, tasks queue until one joins.
   */
  waitMs?: number;
}

/** A progress report delivered to `onProgress`. */
export interface ProgressEvent {
  /** Items whose results have arrived. */
  completed: number;
  /** Items sent to the coordinator so far. */
  submitted: number;
  /** Total items, once the input is exhausted. */
  total?: number;
  /** Set when a task called `context.progress(value)`. */
  task?: { index: number; value: unknown; agent: string; worker: string };
}

/** Options every verb takes. */
export interface TaskOptions {
  /**
   * Items per task. Default: for `map`/`starmap` over an array, Python's rule
   * (`ceil(len / (4 × cluster slots))`); otherwise 1.
   */
  chunksize?: number;
  /** Tasks in flight (sent and not yet consumed) at most; bounds memory on every process. Default 1024. */
  window?: number;
  requires?: Requirements;
  /** Per-task wall-clock limit: the worker running it is killed and the task fails with kind `timeout`. */
  timeoutMs?: number;
  /** Extra attempts after infrastructure failures (worker crash, agent lost). Default 3. */
  retries?: number;
  /** Retry also when the task function throws (`'error'`). Default: only infrastructure failures. */
  retryOn?: 'infrastructure' | 'error';
  /** Aborting it cancels the job; the call rejects with a `CancelledError` (name `AbortError`). */
  signal?: AbortSignal;
  /**
   * Called as results arrive (and when a task reports progress). A `map`'s results come in batches the
   * coordinator commits together, up to 100 ms apart while they trickle in, so its `completed` count
   * moves in steps of up to that long.
   */
  onProgress?: (event: ProgressEvent) => void;
}
