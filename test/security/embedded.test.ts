import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { connect } from '../../src/sdk/index.ts';
import { newToken, RawClients, statusOf } from './securityCluster.ts';

describe('the embedded cluster', () => {
  it('takes only its own random per-process tokens: another process on the machine can neither submit nor join', async () => {
    await using pool = await connect({ processes: 1 });
    const cluster = pool.embedded!;
    expect(cluster.clientToken).toMatch(/^[0-9a-f]{64}$/);
    const outsider = new RawClients(cluster.address);
    const guesser = new RawClients(cluster.address, newToken());
    const local = new RawClients(cluster.address, cluster.clientToken);
    try {
      expect((await statusOf(outsider.list())).code).toBe(grpc.status.UNAUTHENTICATED);
      expect((await outsider.runRefused()).code).toBe(grpc.status.UNAUTHENTICATED);
      expect(await outsider.connectAgent('intruder')).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      expect(await guesser.connectAgent('intruder')).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      // Its client token is a client token: it cannot join as an agent either.
      expect(await local.connectAgent('intruder')).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
      const tasks = await pool.load<typeof import('../fixtures/tasks.ts')>(new URL('../fixtures/tasks.ts', import.meta.url));
      expect(await pool.map(tasks.square, [1, 2, 3])).toEqual([1, 4, 9]);
    } finally {
      outsider.close();
      guesser.close();
      local.close();
    }
  });
});
