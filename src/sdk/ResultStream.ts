import type { TaskError } from '../protocol/index.ts';

/**
 * What `imap` and `imapUnordered` return: the results one by one with `for await`, or a task's worth
 * at a time with {@link ResultStream.batches}. Either way, once.
 *
 * @example
 * for await (const r of pool.imapUnordered(tasks.simulate, params)) record(r);
 * // Millions of tiny results: one array per task, in the same order.
 * for await (const rs of pool.imapUnordered(tasks.noop, items, { chunksize: 100 }).batches()) total += rs.length;
 */
export interface ResultStream<R> extends AsyncIterable<R> {
  /**
   * The same results, each task's as one array (`chunksize` items, or fewer for the last task; a task
   * that returned nothing yields nothing), in the stream's order: input order for `imap`, completion
   * order for `imapUnordered`. A failure throws its {@link TaskError} as the per-item loop would, once
   * the tasks before it (for `imap`) were yielded; leaving the loop early cancels the rest.
   *
   * Per item, `for await` costs a promise and a result object on each side of the loop: over tens of
   * millions of items that garbage means many more young-generation collections, each copying whatever
   * the script keeps in flight, and what they copy in total is what makes V8 grow the young generation
   * of the script's process step by step (docs/benchmarks.md, P5). One array per task spares all but
   * the array.
   */
  batches(): AsyncIterable<R[]>;
}
