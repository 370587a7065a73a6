import { makeGenericClientConstructor } from '@grpc/grpc-js';
import { deserializeCoordinatorMessage } from './deserializeCoordinatorMessage.ts';
import * as pb from './pb.ts';
import { withReusedEncoding } from './withReusedEncoding.ts';

const encodingReused = withReusedEncoding(pb.AgentsService, { connect: { request: pb.AgentMessage } });

/**
 * `pb.AgentsClient` whose `Connect` messages are encoded with one reused writer ({@link withReusedEncoding})
 * and whose assignment batches are read by {@link deserializeCoordinatorMessage}.
 */
export const AgentsClient = makeGenericClientConstructor(
  { ...encodingReused, connect: { ...encodingReused.connect, responseDeserialize: deserializeCoordinatorMessage } },
  'drover.v1.Agents',
) as unknown as typeof pb.AgentsClient;
