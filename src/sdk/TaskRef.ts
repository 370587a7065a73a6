import { UsageError } from '../protocol/index.ts';

const TASK_REF = Symbol.for('drover.taskRef');

/** Where a task function lives: an export of an uploaded bundle. */
export interface TaskRef {
  readonly bundleDigest: string;
  readonly exportName: string;
  /** Path of the module it came from, for messages. */
  readonly modulePath: string;
}

/**
 * Stand-ins for a task module's exports. Each is a function (so it type-checks as the real
 * export) that refuses to run locally and carries a {@link TaskRef} for the pool verbs.
 */
export function makeTaskStub(ref: TaskRef): (...args: never[]) => never {
  const stub = (): never => {
    throw new UsageError(
      `${ref.exportName} from ${ref.modulePath} is a drover task: run it with pool.map / pool.apply, not by calling it`,
    );
  };
  Object.defineProperty(stub, 'name', { value: ref.exportName });
  Object.defineProperty(stub, TASK_REF, { value: Object.freeze({ ...ref }) });
  return stub;
}

/** The {@link TaskRef} behind a task stub, or a clear error when given anything else. */
export function taskRefOf(fn: unknown): TaskRef {
  const ref = typeof fn === 'function' ? (fn as unknown as Record<symbol, TaskRef | undefined>)[TASK_REF] : undefined;
  if (!ref) {
    const what = typeof fn === 'function' ? `function ${(fn as { name?: string }).name || '(anonymous)'}` : typeof fn;
    throw new UsageError(
      `expected a task loaded with pool.load(url), got ${what}: put the function in a module and ` +
        `use \`const tasks = await pool.load(new URL('./tasks.ts', import.meta.url))\``,
    );
  }
  return ref;
}
