import type { pb } from '../protocol/index.ts';
import type { FailureTally } from './FailureTally.ts';

/** A job as the dashboard reads it from the scheduler at request time (never its tasks' payloads). */
export interface JobSummary {
  info: pb.JobInfo;
  /** The task function (bundle digest and export name); absent only for a malformed stored spec. */
  function: pb.FunctionRef | undefined;
  /** Why the job ended, when it was cancelled or failed. */
  endMessage: string;
  /** When the job stopped being open; 0 while open, 0 or less when unknown (it ended before a coordinator restart). */
  endedAtMs: number;
  /** Tasks waiting for an agent. */
  queued: number;
  /** Final failures by kind and the latest ones (empty for jobs that ended before a coordinator restart). */
  failures: FailureTally;
}
