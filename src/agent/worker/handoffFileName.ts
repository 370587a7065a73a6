/**
 * The name of an attempt's file in a worker's handoff directory (see `WorkerHandoff`): `in.<id>` for its
 * input (written by the agent), `out.<id>` for its result (written by the worker). The attempt id's own
 * characters, anything else replaced, so the name is never a path.
 */
export function handoffFileName(kind: 'in' | 'out', attemptId: string): string {
  return `${kind}.${attemptId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200)}`;
}
