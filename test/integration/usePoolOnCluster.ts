import { afterAll, beforeAll } from 'vitest';
import { connect, type Pool } from '../../src/sdk/index.ts';
import { ProcessCluster } from './ProcessCluster.ts';

export type FixtureTasks = typeof import('../fixtures/tasks.ts');

/**
 * For one test file: a coordinator and agents as separate processes, a pool connected to them and the
 * fixture task module loaded; all torn down after the file. Read the fields inside tests.
 */
export function usePoolOnCluster(options: Parameters<typeof ProcessCluster.start>[0] = { agents: 2, processes: 1 }): {
  readonly cluster: ProcessCluster;
  readonly pool: Pool;
  readonly tasks: FixtureTasks;
} {
  const state = {} as { cluster: ProcessCluster; pool: Pool; tasks: FixtureTasks };
  beforeAll(async () => {
    state.cluster = await ProcessCluster.start(options);
    state.pool = await connect({ address: state.cluster.address });
    state.tasks = await state.pool.load<FixtureTasks>(new URL('../fixtures/tasks.ts', import.meta.url));
  });
  afterAll(async () => {
    await state.pool?.close();
    await state.cluster?.stop();
  });
  return state;
}
