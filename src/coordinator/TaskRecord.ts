import type { AgentSession } from './AgentSession.ts';
import type { JobState } from './JobState.ts';

/**
 * One task of a job (a chunk of input items) while the coordinator holds it: queued, or
 * running as an attempt on an agent session. It is the only per-task allocation on the hot
 * path besides the wire messages, and it is dropped (payload included) as soon as the task
 * has a final result.
 */
export class TaskRecord {
  readonly job: JobState;
  readonly seq: number;
  /** CBOR bytes from the client, never decoded; kept until the final result for retries. */
  payload: Buffer;
  readonly items: number;
  readonly firstIndex: number;
  /** 1-based number of the current (or last) attempt; 0 while never assigned. */
  attempt = 0;
  /** Id of the running attempt; '' while queued. */
  attemptId = '';
  /** Session running the current attempt; null while queued. */
  session: AgentSession | null = null;

  constructor(job: JobState, seq: number, payload: Buffer, items: number, firstIndex: number) {
    this.job = job;
    this.seq = seq;
    this.payload = payload;
    this.items = items;
    this.firstIndex = firstIndex;
  }
}
