import type { Server } from 'node:net';

/**
 * Binds `server` to `listen` (`host:port`, IPv6 hosts in brackets; port 0 picks a free one) and
 * resolves with the `host:port` it bound, the port resolved. Shared by the coordinator's and the
 * agent's HTTP sides.
 */
export async function listenHttpServer(server: Server, listen: string): Promise<string> {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(colon + 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  return typeof bound === 'object' && bound ? `${listen.slice(0, colon)}:${bound.port}` : listen;
}
