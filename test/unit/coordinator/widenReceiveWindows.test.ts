import { once } from 'node:events';
import * as http2 from 'node:http2';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../../../src/coordinator/index.ts';

let coordinator: Coordinator;
beforeEach(async () => {
  coordinator = new Coordinator({ listen: '127.0.0.1:0', logger: pino({ level: 'silent' }) });
  await coordinator.start();
});
afterEach(async () => {
  await coordinator.stop();
});

describe('the coordinator HTTP/2 receive windows', () => {
  // grpc-js has no server option for them: this fails if an upgrade moves the internals widenReceiveWindows uses.
  it('offer 1 MiB per stream and per connection instead of the protocol default of 64 KiB', async () => {
    const session = http2.connect(`http://${coordinator.address}`);
    try {
      await once(session, 'remoteSettings');
      expect(session.remoteSettings.initialWindowSize).toBe(1024 * 1024);
      // The connection window grows with a WINDOW_UPDATE right after the settings.
      const deadline = Date.now() + 2000;
      while ((session.state.remoteWindowSize ?? 0) < 1024 * 1024 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(session.state.remoteWindowSize).toBeGreaterThanOrEqual(1024 * 1024);
    } finally {
      session.close();
    }
  });
});
