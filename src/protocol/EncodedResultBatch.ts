/**
 * A `JobResponse.results` message whose `TaskResult`s are already encoded — as the coordinator stores
 * them — so that a result is encoded once, for the store, and its bytes are spliced into the message
 * to the client ({@link serializeJobResponse}) instead of being encoded again from objects. A
 * repeated message field's wire form is each message's bytes behind a tag and a length, so the
 * client decodes the same bytes as a plain `TaskResultBatch`.
 *
 * @example
 * const bytes = encodeTaskResult(result);
 * store.putResult(job, rseq, bytes);
 * sink.send(new EncodedResultBatch([bytes]));
 */
export class EncodedResultBatch {
  /** Each an encoded `TaskResult` (`pb.TaskResult.encode(...).finish()`'s bytes). */
  readonly results: readonly Uint8Array[];

  constructor(results: readonly Uint8Array[]) {
    this.results = results;
  }
}
