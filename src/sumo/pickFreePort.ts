import { createServer } from 'node:net';

/**
 * A port that was free a moment ago: bind port 0, read it, close. Another process may take it
 * before SUMO binds it (sumo#4232); {@link startSumoWithTraci} retries with a new port when that happens.
 */
export function pickFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read the bound port'))));
    });
  });
}
