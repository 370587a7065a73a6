import type * as grpc from '@grpc/grpc-js';
import type { pb } from '../protocol/index.ts';

/**
 * The coordinator's end of an `Agents.Connect` stream: the part of grpc-js's `ServerDuplexStream` the
 * {@link AgentsService} uses, so that a stream inside one process can stand in for the network one.
 * Emitting `error` with a status ends the stream with that status (as grpc-js does).
 */
export interface AgentsServerStream {
  write(message: pb.CoordinatorMessage): boolean;
  end(): void;
  emit(event: 'error', error: grpc.ServerErrorResponse): boolean;
  on(event: 'data', listener: (message: pb.AgentMessage) => void): this;
  on(event: 'end' | 'cancelled', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}
