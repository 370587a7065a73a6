import { status, type ServiceError } from '@grpc/grpc-js';
import { ConnectionError, type AgentsStream, type Logger, type pb } from '../protocol/index.ts';

const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 5000;
/** A stream that is open but not answered with `registered` within this is given up and retried. */
const REGISTER_TIMEOUT_MS = 10_000;
/** On close, how long to wait for the coordinator to end the stream after we half-closed it. */
const CLOSE_TIMEOUT_MS = 2000;

/** Options of {@link CoordinatorLink}. */
export interface CoordinatorLinkOptions {
  /** Opens a new `Agents.Connect` stream (`client.connect()`, or one inside this process). */
  connect(): AgentsStream;
  /** For messages: where we connect. */
  address: string;
  /** The `register` message, asked for on each (re)connection. */
  register(): pb.Register;
  logger: Logger;
  /** A session began (the first one and after every reconnect): credit starts from zero again. */
  onRegistered(registered: pb.Registered): void;
  /** Anything the coordinator sends after `registered`. */
  onMessage(message: pb.CoordinatorMessage): void;
  /** The session ended; a reconnect is already scheduled. */
  onDisconnected(): void;
  /** The stream, {@link CoordinatorLink.congested} before, can take more messages now. */
  onWritable?(): void;
}

/**
 * The agent's `Agents.Connect` session with its coordinator, kept alive: it registers, and when the
 * stream breaks it reconnects with exponential backoff (100 ms doubling to 5 s, with jitter) and
 * registers again, as a new session.
 *
 * @example
 * const link = new CoordinatorLink({ connect: () => client.connect(), address, register, logger, onRegistered, onMessage, onDisconnected });
 * await link.start(10_000);
 * link.send({ msg: { $case: 'credit', value: { tasks: 4 } } });
 */
export class CoordinatorLink {
  readonly #o: CoordinatorLinkOptions;
  readonly #log: Logger;
  #call: AgentsStream | undefined;
  #registered = false;
  #sessionId = '';
  #failures = 0;
  #everRegistered = false;
  #closing = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #registerTimer: NodeJS.Timeout | undefined;
  #lastError = '';
  #startWaiter: { resolve(): void; reject(e: Error): void; deadline: number } | undefined;

  constructor(options: CoordinatorLinkOptions) {
    this.#o = options;
    this.#log = options.logger;
  }

  /** Whether a registered session is live (what is sent now reaches the coordinator). */
  get connected(): boolean {
    return this.#registered;
  }

  get sessionId(): string {
    return this.#sessionId;
  }

  /**
   * Whether the stream's send buffer is full (gRPC has not handed the messages written so far to the
   * transport). Bulk senders stop writing until `onWritable`, so that a small message written later
   * (a heartbeat) does not queue behind megabytes of results.
   */
  get congested(): boolean {
    return this.#call?.writableNeedDrain ?? false;
  }

  /**
   * Connect and register; resolves on the first `registered`. Keeps retrying until `timeoutMs` has
   * passed, then rejects with a {@link ConnectionError} (and stops trying).
   */
  start(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#startWaiter = { resolve, reject, deadline: Date.now() + timeoutMs };
      this.#connect();
    });
  }

  /** Send a message on the live session; false (and nothing sent) when there is none. */
  send(message: pb.AgentMessage): boolean {
    if (!this.#registered || this.#call === undefined) return false;
    this.#call.write(message);
    return true;
  }

  /**
   * Leave: half-close the stream (what was written is delivered first), wait briefly for the
   * coordinator to end it, and stop reconnecting.
   */
  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#registerTimer);
    this.#startWaiter?.reject(new ConnectionError('the agent was stopped before it registered with the coordinator'));
    this.#startWaiter = undefined;
    const call = this.#call;
    this.#call = undefined;
    this.#registered = false;
    if (call === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        call.cancel();
        resolve();
      }, CLOSE_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      call.once('status', done);
      call.once('error', done);
      call.end();
    });
  }

  #connect(): void {
    this.#retryTimer = undefined;
    if (this.#closing) return;
    const call = this.#o.connect();
    this.#call = call;
    this.#registered = false;
    call.on('data', (message: pb.CoordinatorMessage) => {
      if (call !== this.#call) return;
      if (message.msg?.$case === 'registered') {
        this.#onRegistered(message.msg.value);
      } else if (this.#registered) {
        this.#o.onMessage(message);
      }
    });
    call.on('error', (error: ServiceError) => {
      const start = this.#startWaiter;
      if (call === this.#call && start !== undefined && (error.code === status.UNAUTHENTICATED || error.code === status.PERMISSION_DENIED)) {
        // Credentials do not fix themselves by retrying: say so now rather than after the start timeout.
        this.#startWaiter = undefined;
        this.#closing = true;
        clearTimeout(this.#registerTimer);
        this.#call = undefined;
        start.reject(new ConnectionError(`the coordinator at ${this.#o.address} refused this agent: ${error.details}`, { cause: error }));
        return;
      }
      this.#lost(call, error.details || error.message);
    });
    call.on('end', () => this.#lost(call, 'the coordinator ended the stream'));
    call.on('drain', () => {
      if (call === this.#call && this.#registered) this.#o.onWritable?.();
    });
    // While start() waits, do not wait for an answer past its deadline.
    const deadline = this.#startWaiter?.deadline ?? Infinity;
    const wait = Math.max(50, Math.min(REGISTER_TIMEOUT_MS, deadline - Date.now()));
    this.#registerTimer = setTimeout(() => {
      if (call === this.#call && !this.#registered) {
        this.#lost(call, `no "registered" answer within ${Math.round(wait)} ms`);
        call.cancel();
      }
    }, wait);
    call.write({ msg: { $case: 'register', value: this.#o.register() } });
  }

  #onRegistered(registered: pb.Registered): void {
    const sessionId = registered.sessionId;
    clearTimeout(this.#registerTimer);
    const reconnect = this.#everRegistered;
    this.#registered = true;
    this.#everRegistered = true;
    this.#sessionId = sessionId;
    this.#failures = 0;
    this.#log.info({ sessionId, coordinator: this.#o.address }, reconnect ? 'reconnected to coordinator' : 'connected to coordinator');
    this.#o.onRegistered(registered);
    this.#startWaiter?.resolve();
    this.#startWaiter = undefined;
  }

  #lost(call: AgentsStream, why: string): void {
    if (call !== this.#call) return;
    clearTimeout(this.#registerTimer);
    this.#call = undefined;
    const wasRegistered = this.#registered;
    this.#registered = false;
    // End our half too, so the coordinator sees the session is over even if only its side closed.
    call.end();
    this.#lastError = why;
    if (this.#closing) return;
    if (wasRegistered) {
      this.#log.info({ coordinator: this.#o.address, reason: why }, 'disconnected from coordinator; reconnecting');
      this.#o.onDisconnected();
    }
    const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.#failures++);
    // Full jitter on the upper half, so many agents that lost one coordinator do not all return at once.
    const delay = backoff / 2 + Math.random() * (backoff / 2);
    const start = this.#startWaiter;
    if (start !== undefined && Date.now() + delay > start.deadline) {
      this.#startWaiter = undefined;
      this.#closing = true;
      start.reject(
        new ConnectionError(
          `could not register with a drover coordinator at ${this.#o.address}: ${this.#lastError}. ` +
            'Is `drover coordinator` (or `drover local`) running there, and is the address right?',
        ),
      );
      return;
    }
    if (!wasRegistered) this.#log.debug({ coordinator: this.#o.address, reason: why, retryInMs: Math.round(delay) }, 'could not reach coordinator');
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }
}
