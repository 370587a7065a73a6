import * as grpc from '@grpc/grpc-js';
import { MalformedRequest } from './MalformedRequest.ts';

/**
 * Ends a call whose request bytes could not be parsed (a {@link MalformedRequest}, see
 * `withTolerantDeserializers`) with INVALID_ARGUMENT naming the method, instead of grpc-js's
 * INTERNAL; the handler never sees the message.
 */
export const malformedRequestInterceptor: grpc.ServerInterceptor = (_method, call) =>
  new grpc.ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMessage: (message: unknown, nextMessage: (message: unknown) => void) => {
          if (!(message instanceof MalformedRequest)) {
            nextMessage(message);
            return;
          }
          call.sendStatus({
            code: grpc.status.INVALID_ARGUMENT,
            details: `${message.path}: the request is not a protobuf message of the method's type (${message.reason.slice(0, 200)}); see proto/drover/v1`,
          });
        },
      }),
  });
