import type { AgentSession } from './AgentSession.ts';
import type { JobState } from './JobState.ts';
import type { TaskRow } from './store/TaskRow.ts';

/**
 * One task of a job (a chunk of input items) while the coordinator holds it: queued, or running
 * as an attempt on an agent (or orphaned: its agent's session is gone and the grace period runs).
 * It is the only per-task allocation on the hot path besides the wire messages, and it is
 * dropped (payload included) as soon as the task has a final result. It is its own store row.
 */
export class TaskRecord implements TaskRow {
  readonly job: JobState;
  readonly jobNo: number;
  readonly seq: number;
  /** CBOR bytes from the client, never decoded; kept until the final result for retries. */
  payload: Buffer;
  readonly items: number;
  readonly firstIndex: number;
  /** 1-based number of the current (or last) attempt; 0 while never assigned. */
  attempt = 0;
  /** Id of the current attempt; '' while queued. */
  attemptId = '';
  /** Name of the agent running the current attempt; '' while queued. */
  agent = '';
  /** Session running the current attempt; null while queued or orphaned. */
  session: AgentSession | null = null;
  /** When the task (last) entered its job's queue, on the performance.now() clock: metrics measure queue wait from here. */
  queuedAtMs = performance.now();
  /** When the current attempt was assigned (performance.now() clock); 0 while never assigned. */
  startedAtMs = 0;

  constructor(job: JobState, seq: number, payload: Buffer, items: number, firstIndex: number) {
    this.job = job;
    this.jobNo = job.no;
    this.seq = seq;
    this.payload = payload;
    this.items = items;
    this.firstIndex = firstIndex;
  }
}
