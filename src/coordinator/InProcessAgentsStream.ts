import { EventEmitter } from 'node:events';
import { Metadata, status, type ServerErrorResponse, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import type { AgentsStream, pb } from '../protocol/index.ts';
import type { AgentsServerStream } from './AgentsServerStream.ts';

/** The error a grpc-js client stream emits for a call that ended with `code` (message `"<code> <NAME>: details"`). */
function clientError(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });
}

/** What travels one way: a message, or the end of that direction (with a status when it ended the call). */
type Delivery<T> = { message: T } | { end: true } | { error: ServiceError };

/**
 * One direction of the stream: what is written is delivered in order, in a microtask after the writer's
 * code (never from inside it: neither side's handler runs re-entrantly within the other's send).
 */
class Pipe<T> {
  #items: Delivery<T>[] = [];
  #scheduled = false;
  readonly #deliver: (item: Delivery<T>) => void;

  constructor(deliver: (item: Delivery<T>) => void) {
    this.#deliver = deliver;
  }

  push(item: Delivery<T>): void {
    this.#items.push(item);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const items = this.#items;
    this.#items = [];
    for (const item of items) this.#deliver(item);
  };
}

/** The coordinator's end, handed to the service's `connect`. */
class ServerEnd extends EventEmitter implements AgentsServerStream {
  readonly #toClient: Pipe<pb.CoordinatorMessage>;
  #closed = false;

  constructor(toClient: Pipe<pb.CoordinatorMessage>) {
    super();
    this.#toClient = toClient;
  }

  write(message: pb.CoordinatorMessage): boolean {
    if (!this.#closed) this.#toClient.push({ message });
    return true;
  }

  end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#toClient.push({ end: true });
  }

  /** `error` with a status ends the call with it (grpc-js's server streams do the same), and is seen by this side's listeners too. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error' && !this.#closed) {
      this.#closed = true;
      const error = args[0] as Partial<ServerErrorResponse> & Error;
      this.#toClient.push({ error: clientError(error.code ?? status.UNKNOWN, error.details ?? error.message) });
    }
    // grpc-js reports a server stream's error to its own listeners, if any; none is not a crash there either.
    if (event === 'error' && this.listenerCount('error') === 0) return false;
    return super.emit(event, ...args);
  }

  /** The client cancelled: nothing more reaches it. */
  cancelled(): void {
    this.#closed = true;
    super.emit('cancelled');
  }
}

/**
 * An `Agents.Connect` stream inside one process — for `drover local` and the SDK's embedded cluster,
 * where the agent runs beside its coordinator. The two ends pass message objects to each other in a
 * microtask: no socket, no HTTP/2 framing, no protobuf encoding, and no event-loop turn of waiting for
 * a socket in between (a sequential `apply` crossed that loopback four times). Everything else is the
 * network stream's: the service authenticates nothing here (the caller names the principal, in code),
 * and validates, fences and acknowledges exactly as it does for remote agents. Neither side changes a
 * message after sending it, so the objects are shared rather than copied.
 *
 * @example
 * const stream = new InProcessAgentsStream((serverEnd) => agentsService.connect(serverEnd));
 * stream.on('data', (message) => console.log(message.msg?.$case));
 * stream.write({ msg: { $case: 'register', value: register } });
 */
export class InProcessAgentsStream extends EventEmitter implements AgentsStream {
  readonly writableNeedDrain = false;
  readonly #server: ServerEnd;
  readonly #toServer: Pipe<pb.AgentMessage>;
  #ended = false;
  #done = false;

  /** `serve` receives the coordinator's end (as `Agents.Connect`'s handler would). */
  constructor(serve: (serverEnd: AgentsServerStream) => void) {
    super();
    const toClient = new Pipe<pb.CoordinatorMessage>((item) => this.#fromServer(item));
    this.#server = new ServerEnd(toClient);
    this.#toServer = new Pipe<pb.AgentMessage>((item) => {
      // A call that is over (ended by either side) takes no more messages.
      if (this.#done) return;
      if ('message' in item) this.#server.emit('data', item.message);
      else if ('end' in item) this.#server.emit('end');
    });
    serve(this.#server);
  }

  write(message: pb.AgentMessage): boolean {
    if (!this.#ended && !this.#done) this.#toServer.push({ message });
    return true;
  }

  end(): void {
    if (this.#ended || this.#done) return;
    this.#ended = true;
    this.#toServer.push({ end: true });
  }

  cancel(): void {
    if (this.#done) return;
    this.#server.cancelled();
    this.#finish({ error: clientError(status.CANCELLED, 'Cancelled on client') });
  }

  #fromServer(item: Delivery<pb.CoordinatorMessage>): void {
    if (this.#done) return;
    if ('message' in item) this.emit('data', item.message);
    else this.#finish(item);
  }

  /** The call is over: `end` then an OK status, or `error` then its status (as grpc-js's client streams). */
  #finish(item: { end: true } | { error: ServiceError }): void {
    this.#done = true;
    const metadata = new Metadata();
    if ('end' in item) {
      this.emit('end');
      this.emit('status', { code: status.OK, details: 'OK', metadata } satisfies StatusObject);
    } else {
      this.emit('error', item.error);
      this.emit('status', { code: item.error.code, details: item.error.details, metadata } satisfies StatusObject);
    }
  }
}
