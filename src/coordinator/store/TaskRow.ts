/**
 * A task as stored. `TaskRecord` has these fields itself, so the store reads a record's current
 * state at commit time without a copy per task.
 */
export interface TaskRow {
  readonly jobNo: number;
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly items: number;
  readonly firstIndex: number;
  readonly attempt: number;
  readonly attemptId: string;
  /** Name of the agent running the current attempt; '' while queued. */
  readonly agent: string;
  /** When the current attempt was assigned (performance.now() clock): a first attempt is written once it has run this long (see CoordinatorStore.updateTask). */
  readonly startedAtMs: number;
}
