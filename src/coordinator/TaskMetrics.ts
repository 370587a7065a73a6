import type { TaskRecord } from './TaskRecord.ts';

/**
 * What the scheduler tells metrics about tasks, once per final result. Implementations must not
 * allocate per call: it runs on the hot path (see `CoordinatorMetrics`).
 */
export interface TaskMetrics {
  /**
   * A task got its final result. `failureKind` is the failure's kind, or '' for a value. The
   * record's `queuedAtMs`/`startedAtMs` (performance.now() clock) say how long it waited and ran.
   */
  taskFinished(record: TaskRecord, failureKind: string): void;
}
