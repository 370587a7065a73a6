import { makeGenericClientConstructor } from '@grpc/grpc-js';
import * as pb from './pb.ts';
import { withReusedEncoding } from './withReusedEncoding.ts';

/** `pb.AgentsClient` whose `Connect` messages are encoded with one reused writer ({@link withReusedEncoding}). */
export const AgentsClient = makeGenericClientConstructor(
  withReusedEncoding(pb.AgentsService, { connect: { request: pb.AgentMessage } }),
  'drover.v1.Agents',
) as unknown as typeof pb.AgentsClient;
