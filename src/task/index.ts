/**
 * The task side of drover: what a task function can know about the run it is part of.
 *
 * @example
 * // tasks.ts, shipped to agents by `pool.load(new URL('./tasks.ts', import.meta.url))`
 * import { context } from 'drover/task';
 * export async function simulate(seed: number) {
 *   console.error(`${context.worker} on ${context.agent} runs seed ${seed}, attempt ${context.attempt}`);
 *   context.progress({ phase: 'warm-up' });
 *   if (context.signal.aborted) return null;
 *   return seed * 2;
 * }
 *
 * @module
 */

/** The run a task function is part of. */
export interface TaskContext {
  /** `${jobId}/${seq}`: unique per task, the same across attempts. */
  readonly taskId: string;
  readonly jobId: string;
  /** Task sequence number in the job (a chunk of items). */
  readonly seq: number;
  /** Index, in the job's input, of the item being processed now. */
  readonly index: number;
  /** 1-based attempt number. */
  readonly attempt: number;
  /** Name of the agent (node) running the task. */
  readonly agent: string;
  /** Name of the worker process, like Python's `current_process().name`. */
  readonly worker: string;
  /** Aborted when the job is cancelled or the task times out. */
  readonly signal: AbortSignal;
  /** Send a progress value (any encodable value) to the caller's `onProgress`. */
  progress(value: unknown): void;
}

/**
 * Where the worker process publishes the current context. A global symbol, not a module
 * variable, because each task bundle carries its own copy of this module.
 */
export const TASK_CONTEXT_SLOT = Symbol.for('drover.task.context');

interface ContextSlot {
  current(): TaskContext | undefined;
}

function current(): TaskContext {
  const slot = (globalThis as Record<symbol, ContextSlot | undefined>)[TASK_CONTEXT_SLOT];
  const ctx = slot?.current();
  if (!ctx) {
    throw new Error('drover/task: `context` is only available while a drover worker runs a task function');
  }
  return ctx;
}

/** The current task's context; read it inside a task function (not at module load). */
export const context: TaskContext = {
  get taskId() { return current().taskId; },
  get jobId() { return current().jobId; },
  get seq() { return current().seq; },
  get index() { return current().index; },
  get attempt() { return current().attempt; },
  get agent() { return current().agent; },
  get worker() { return current().worker; },
  get signal() { return current().signal; },
  progress(value: unknown) { current().progress(value); },
};
