/**
 * Every bound the coordinator enforces on what clients and agents send. Each has a default
 * ({@link DEFAULT_LIMITS}), a `drover coordinator` flag (the key in kebab case: `maxTaskBytes` is
 * `--max-task-bytes`, see {@link limitFlag}) and a gRPC status its violation ends the call with;
 * docs/security.md ("Limits") lists them all.
 */
export interface Limits {
  /** Largest gRPC message received or sent, in bytes (RESOURCE_EXHAUSTED, from grpc-js). */
  maxMessageBytes: number;
  /** Largest payload (CBOR argument arrays) of one task, in bytes (not a status: that task fails alone, `DROVER_TASK_TOO_LARGE`). */
  maxTaskBytes: number;
  /** Largest value (or failure text, or progress value) of one attempt's result, in bytes. */
  maxResultBytes: number;
  /** Most items in one task (the SDK's `chunksize`); a chunk is bounded by `maxTaskBytes` as well. */
  maxItemsPerTask: number;
  /** Most items in one job (`first_index + items` of its last task). */
  maxItemsPerJob: number;
  /** Most tasks one principal may have submitted and not yet completed, across its open jobs. */
  maxQueuedTasksPerPrincipal: number;
  /** Most open jobs one principal may hold at once. */
  maxOpenJobsPerPrincipal: number;
  /** Results a job stream may leave unconfirmed (`results_received`) before the job's dispatch pauses. */
  maxUnreadResults: number;
  /** Longest job, export or agent name (and the other strings an agent registers with), in characters. */
  maxNameLength: number;
  /** Most labels, and most resources, in one requirement set or one agent's capacity. */
  maxLabels: number;
  /** Longest label or resource key, in characters. */
  maxLabelKeyLength: number;
  /** Longest label value, in characters. */
  maxLabelValueLength: number;
  /** Largest per-task `timeout_ms`. */
  maxTimeoutMs: number;
  /** Largest `retries`. */
  maxRetries: number;
  /** Largest `unschedulable_wait_ms`. */
  maxUnschedulableWaitMs: number;
  /** Largest blob accepted by `Blobs.Put`, in bytes. */
  maxBlobBytes: number;
  /** Most bytes all `Blobs.Put` uploads in progress may announce together (they are held in memory until verified). */
  maxUploadingBytes: number;
  /** Largest data chunk of one `Blobs.Put` message, in bytes. */
  maxBlobChunkBytes: number;
  /** Most digests in one `Blobs.Has` call. */
  maxHasDigests: number;
  /** Most worker slots an agent may announce (also the largest `requires.cpus`). */
  maxAgentSlots: number;
  /** Most CPU cores an agent may announce. */
  maxAgentCpus: number;
  /** Most memory an agent may announce, in MiB (also the largest `requires.memory_mb`). */
  maxAgentMemoryMb: number;
  /** Most `running_attempt_ids` an agent may list when it registers. */
  maxRunningAttempts: number;
  /**
   * A stream that has not sent its first message (open, attach, register, first blob chunk) after this
   * long is closed (DEADLINE_EXCEEDED); so is a blob upload that pauses this long between chunks.
   */
  streamOpenTimeoutMs: number;
}
