import type { JobLifecycle } from '../JobState.ts';

/** A job as stored: its spec, counters and where delivery stands. */
export interface JobRow {
  /** Store key (small integer), never shown to clients. */
  no: number;
  id: string;
  name: string;
  /** Principal that opened the job (`''`: opened on a coordinator without tokens, or before owners were stored). */
  owner: string;
  /** `drover.v1.OpenJob` as the job was opened, protobuf-encoded. */
  spec: Uint8Array;
  state: JobLifecycle;
  endMessage: string;
  createdAtMs: number;
  tasksSubmitted: number;
  inputEnded: boolean;
  totalTasks: number;
  tasksCompleted: number;
  tasksFailed: number;
  lastRseq: number;
  receivedRseq: number;
  purged: boolean;
}
