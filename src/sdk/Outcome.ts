import type { pb } from '../protocol/index.ts';

/**
 * A task's result as a job's stream holds it, from its message's arrival until the consumer reaches
 * it (see {@link OutcomeColumns} for how the waiting ones are kept).
 */
export interface Outcome {
  seq: number;
  /**
   * The task's CBOR-encoded return values, decoded only when the consumer reaches them: the buffer of
   * the message they came in (shared by its tasks) and their place in it, rather than a view of them
   * (an object per task, which the waiting outcomes would keep).
   */
  payload: ArrayBufferLike | undefined;
  payloadOffset: number;
  payloadLength: number;
  /** A plain array, or the packed typed array of many numeric results (indexing gives the same numbers). */
  values: ArrayLike<unknown> | undefined;
  failure: pb.TaskFailure | undefined;
  attempt: number;
  agent: string;
  worker: string;
}
