import * as grpc from '@grpc/grpc-js';
import type { pb } from '../../protocol/index.ts';
import { invalidArgument } from './invalidArgument.ts';
import type { Limits } from './Limits.ts';
import { overLimit } from './overLimit.ts';
import type { Violation } from './Violation.ts';

/**
 * Checks a batch of a job's tasks: each task's item count (1 to `maxItemsPerTask`), and the job's
 * item count so far (`first_index + items`, RESOURCE_EXHAUSTED past `maxItemsPerJob`). Chunks must
 * follow each other (`first_index` of a task = `first_index + items` of the one before);
 * `expectedFirstIndex` is the index the batch must start at, or undefined when not known (a job
 * restored after a restart). One pass, no allocation: this runs for every input batch. A payload over
 * `maxTaskBytes` is no violation of the stream: that task alone fails (`Scheduler.addInputs`).
 */
export function validateTaskInputs(jobId: string, tasks: readonly pb.TaskInput[], limits: Limits, expectedFirstIndex: number | undefined): Violation | undefined {
  let expected = expectedFirstIndex;
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i];
    const field = `job ${jobId}: TaskInput (seq ${task.seq})`;
    if (task.items === 0) return invalidArgument(`${field} items`, 'is 0; a task carries at least one item');
    if (task.items > limits.maxItemsPerTask) return overLimit(`${field} items`, task.items, 'maxItemsPerTask', limits, ' items (chunksize)');
    if (expected !== undefined && task.firstIndex !== expected) {
      return invalidArgument(`${field} first_index`, `is ${task.firstIndex} but the chunks before end at item ${expected}; first_index is the index of the chunk's first item`);
    }
    const end = task.firstIndex + task.items;
    if (end > limits.maxItemsPerJob) {
      return overLimit(`job ${jobId}: item count`, end, 'maxItemsPerJob', limits, ' items', grpc.status.RESOURCE_EXHAUSTED);
    }
    expected = end;
  }
  return undefined;
}
