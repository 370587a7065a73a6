import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CoordinatorLink } from '../../../src/agent/CoordinatorLink.ts';
import { pb } from '../../../src/protocol/index.ts';
import { FakeCoordinator } from './fakeCoordinator.ts';

describe('CoordinatorLink send buffer', () => {
  it('reports congestion once a burst fills the send buffer, and calls onWritable when it drained', async () => {
    const c = await FakeCoordinator.start();
    const client = new pb.AgentsClient(c.address, grpc.credentials.createInsecure());
    let writable = 0;
    let registered: pb.Registered | undefined;
    const link = new CoordinatorLink({
      connect: () => client.connect(),
      address: c.address,
      logger: pino({ level: 'silent' }),
      register: () => ({ acksWithAssign: false, name: 'x', capacity: undefined, version: '0', runningAttemptIds: ['kept'] }),
      onRegistered: (r) => (registered = r),
      onMessage() {},
      onDisconnected() {},
      onWritable: () => writable++,
    });
    try {
      c.heartbeatMs = 1234;
      await link.start(5000);
      expect(registered).toEqual({ sessionId: 's1', heartbeatMs: 1234, creditWithResults: true });
      expect(c.last.register?.runningAttemptIds).toEqual(['kept']);
      const big = Buffer.alloc(1024 * 1024, 7);
      let sent = 0;
      while (!link.congested && sent < 100) {
        link.send({ msg: { $case: 'results', value: { results: [{ attemptId: `a${sent}`, outcome: { $case: 'value', value: big }, worker: 'w', durationMs: 1 }], credit: 0 } } });
        sent++;
      }
      // Congested well before 100 MiB were queued in one go.
      expect(link.congested).toBe(true);
      expect(sent).toBeLessThan(100);
      await c.until(() => c.resultIds(c.last).length === sent);
      await c.until(() => writable > 0);
      expect(link.congested).toBe(false);
    } finally {
      await link.close();
      client.close();
      await c.stop();
    }
  });
});
