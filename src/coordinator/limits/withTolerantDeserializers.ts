import type * as grpc from '@grpc/grpc-js';
import { MalformedRequest } from './MalformedRequest.ts';

/**
 * The service definition with each method's request deserializer returning a {@link MalformedRequest}
 * for unparseable bytes instead of throwing (which grpc-js reports as INTERNAL, as if drover had
 * failed). Pair it with {@link malformedRequestInterceptor}.
 */
export function withTolerantDeserializers<D extends grpc.ServiceDefinition>(definition: D): D {
  const tolerant: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition)) {
    const deserialize = method.requestDeserialize;
    tolerant[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return deserialize(bytes);
        } catch (error) {
          return new MalformedRequest(method.path, error instanceof Error ? error.message : String(error));
        }
      },
    };
  }
  return tolerant as D;
}
