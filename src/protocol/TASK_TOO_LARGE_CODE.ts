/**
 * `TaskFailure.code` of a task the coordinator refused for its size (over `--max-task-bytes`): the task
 * fails alone, and the SDK turns the failure into a `UsageError`, as when it refuses such a task itself.
 */
export const TASK_TOO_LARGE_CODE = 'DROVER_TASK_TOO_LARGE';
