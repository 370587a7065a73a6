/**
 * A task input or result larger than this goes between the agent and a worker process as a file in the
 * worker's handoff directory (see `WorkerHandoff`), not through the IPC pipe. The same size as the
 * coordinator's `SPILL_BYTES`: below it a pipe costs less than creating, writing, reading and removing a
 * file.
 */
export const HANDOFF_BYTES = 256 * 1024;
