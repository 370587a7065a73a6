import { InterceptingCall, type ClientOptions } from '@grpc/grpc-js';
import type { ClientTls } from './ClientTls.ts';
import { MAX_MESSAGE_BYTES } from './MAX_MESSAGE_BYTES.ts';

/**
 * Channel options every drover client (SDK, agent, CLI) uses: message limits, keepalive pings that
 * notice a vanished coordinator (no RST, e.g. a partition) within ~40 s, fast reconnects, and the token, attached
 * as `authorization: Bearer <token>` metadata on every call (grpc-js refuses call credentials on
 * an insecure channel). With `tls.serverName`, the coordinator's certificate is checked for that
 * name instead of the address's host. Channel credentials come from {@link createChannelCredentials}.
 */
export function clientChannelOptions(token?: string, tls?: true | ClientTls): ClientOptions {
  const serverName = tls === true ? undefined : tls?.serverName;
  return {
    ...(serverName !== undefined ? { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName } : {}),
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    // Reconnect quickly after a coordinator restart (gRPC's default backoff grows to 120 s).
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 2_000,
    interceptors: token
      ? [
          (opts, next) =>
            new InterceptingCall(next(opts), {
              start(metadata, listener, nextStart) {
                metadata.set('authorization', `Bearer ${token}`);
                nextStart(metadata, listener);
              },
            }),
        ]
      : [],
  };
}
