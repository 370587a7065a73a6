import type * as grpc from '@grpc/grpc-js';
import type * as http2 from 'node:http2';

/** What of grpc-js's `Server` internals this reaches into (not public API; checked before use). */
interface ServerInternals {
  commonServerOptions?: http2.ServerOptions;
  http2Servers?: Map<http2.Http2Server | http2.Http2SecureServer, unknown>;
}

/**
 * Raises the coordinator's HTTP/2 receive windows (per stream and per connection) from the
 * protocol's default of 64 KiB to `bytes`. Call it twice: `'before-bind'` before `bindAsync` (the
 * per-stream window is a setting of the servers grpc-js creates there), then `'bound'` in its
 * callback (the connection window is widened on each new session).
 *
 * With 64 KiB, a client streaming inputs waited a round trip per 64 KiB for the coordinator's
 * window updates, its messages held in memory meanwhile: long enough for them to be promoted out
 * of V8's young generation and freed only by a full collection — 20+ MiB of dead buffers in the
 * SDK process on a long `imapUnordered` (P5). A wider window lets the bytes go to the socket at
 * once; it bounds what one connection may have in flight unread (grpc-js reads a stream's
 * messages one at a time).
 *
 * grpc-js has no option for either window, so this uses its internals when they are there, and
 * does nothing (the default windows stay) when a grpc-js version lacks them.
 */
export function widenReceiveWindows(server: grpc.Server, bytes: number, stage: 'before-bind' | 'bound'): void {
  const internals = server as unknown as ServerInternals;
  if (stage === 'before-bind') {
    const options = internals.commonServerOptions;
    if (options !== undefined) options.settings = { ...options.settings, initialWindowSize: bytes };
    return;
  }
  for (const http2Server of internals.http2Servers?.keys() ?? []) {
    http2Server.on('session', (session: http2.ServerHttp2Session) => {
      try {
        session.setLocalWindowSize(bytes);
      } catch {
        // A session already closing: nothing to widen.
      }
    });
  }
}
