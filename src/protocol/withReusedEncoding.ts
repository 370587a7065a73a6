import type * as grpc from '@grpc/grpc-js';
import { encodeMessage, type MessageEncoder } from './encodeMessage.ts';

/** Per method of a service definition: the encoders of its request and response types. */
export type MethodEncoders<D> = { [K in keyof D]?: { request?: MessageEncoder<never>; response?: MessageEncoder<never> } };

/**
 * A copy of a generated service definition whose serializers for the named methods encode with
 * {@link encodeMessage} (one reused writer) instead of a fresh writer per message. The wire bytes are
 * the same. Used for the agent's end of `Agents.Connect`, which carries every task's result.
 *
 * @example
 * const Agents = grpc.makeGenericClientConstructor(withReusedEncoding(pb.AgentsService, { connect: { request: pb.AgentMessage } }), 'drover.v1.Agents');
 */
export function withReusedEncoding<D extends grpc.ServiceDefinition>(definition: D, encoders: MethodEncoders<D>): D {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition)) {
    const types = encoders[name as keyof D];
    const request = types?.request as MessageEncoder<unknown> | undefined;
    const response = types?.response as MessageEncoder<unknown> | undefined;
    out[name] = {
      ...method,
      ...(request ? { requestSerialize: (value: unknown) => encodeMessage(request, value) } : {}),
      ...(response ? { responseSerialize: (value: unknown) => encodeMessage(response, value) } : {}),
    };
  }
  return out as D;
}
