/**
 * In a single-executable agent (`npm run build:agent`) there is no `node` and no `workerMain.ts` on disk:
 * the binary is its own worker. {@link WorkerProcess} forks the binary with this as its first argument,
 * and the executable's entry (`src/cli/seaMain.ts`) then runs the worker instead of the agent.
 */
export const SEA_WORKER_ARGUMENT = '--drover-sea-worker';
