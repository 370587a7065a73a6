import type { ServiceError, StatusObject } from '@grpc/grpc-js';
import type * as pb from './pb.ts';

/**
 * The agent's end of an `Agents.Connect` stream: the part of grpc-js's `ClientDuplexStream` the agent
 * uses, so that a stream inside one process (`drover local`, the SDK's embedded cluster) can stand in
 * for the network one.
 */
export interface AgentsStream {
  /** Sends a message; the return value is grpc-js's (false: buffered past the high-water mark). */
  write(message: pb.AgentMessage): boolean;
  /** Half-closes: the coordinator sees the end after every message written before. */
  end(): void;
  /** Ends the stream at once (the coordinator sees a cancelled call). */
  cancel(): void;
  /** Whether writes are buffered past the high-water mark (wait for `drain`). */
  readonly writableNeedDrain: boolean;
  on(event: 'data', listener: (message: pb.CoordinatorMessage) => void): this;
  on(event: 'error', listener: (error: ServiceError) => void): this;
  on(event: 'end' | 'drain', listener: () => void): this;
  once(event: 'status', listener: (status: StatusObject) => void): this;
  once(event: 'error', listener: (error: ServiceError) => void): this;
}
