import * as grpc from '@grpc/grpc-js';
import type { Logger, pb } from '../protocol/index.ts';
import type { AgentSession, AgentSink } from './AgentSession.ts';
import type { Scheduler } from './Scheduler.ts';
import { statusError } from './statusError.ts';

const MAX_AGENT_NAME_LENGTH = 256;
const MAX_RUNNING_ATTEMPTS = 100_000;

/**
 * `drover.v1.Agents`: one `Connect` stream per agent session. The first message registers the
 * agent (listing the attempts it still runs after a reconnect); afterwards credit, results,
 * progress and heartbeats go to the {@link Scheduler}, each renewing the session's lease. Whatever
 * way the stream ends, the session's attempts wait the agent grace period for the agent to
 * come back before they are re-queued.
 */
export class AgentsService {
  private readonly scheduler: Scheduler;
  private readonly log: Logger;

  constructor(scheduler: Scheduler, logger: Logger) {
    this.scheduler = scheduler;
    this.log = logger;
  }

  /** The handlers to pass to `server.addService(pb.AgentsService, ...)`. */
  handlers(): pb.AgentsServer {
    return { connect: (call) => this.connect(call) };
  }

  private connect(call: grpc.ServerDuplexStream<pb.AgentMessage, pb.CoordinatorMessage>): void {
    let session: AgentSession | undefined;
    let closed = false;
    const sink: AgentSink = {
      send: (message) => {
        if (!closed) call.write(message);
      },
      close: () => {
        if (closed) return;
        closed = true;
        call.end();
      },
      abort: (message) => fail(grpc.status.UNAVAILABLE, message),
    };
    const leave = (reason: string, left = false): void => {
      if (session) this.scheduler.removeSession(session, reason, { left });
    };
    const fail = (code: grpc.status, message: string): void => {
      const wasOpen = !closed;
      closed = true;
      leave(message);
      if (wasOpen) call.emit('error', statusError(code, message));
    };

    call.on('data', (message: pb.AgentMessage) => {
      // Whatever follows the end of our side (a failure, the coordinator stopping) is moot.
      if (closed) return;
      try {
        const msg = message.msg;
        if (session === undefined) {
          if (this.scheduler.isShutDown) {
            fail(grpc.status.UNAVAILABLE, 'the coordinator is shutting down');
            return;
          }
          if (msg?.$case !== 'register') {
            fail(grpc.status.INVALID_ARGUMENT, `the first message of an Agents.Connect stream must be "register", got ${JSON.stringify(msg?.$case ?? 'an empty message')}`);
            return;
          }
          const register = msg.value;
          if (!register.capacity) {
            fail(grpc.status.INVALID_ARGUMENT, 'Register: capacity is required');
            return;
          }
          if (register.name.length > MAX_AGENT_NAME_LENGTH) {
            fail(grpc.status.INVALID_ARGUMENT, `Register: name is longer than ${MAX_AGENT_NAME_LENGTH} characters`);
            return;
          }
          if (register.runningAttemptIds.length > MAX_RUNNING_ATTEMPTS) {
            fail(grpc.status.INVALID_ARGUMENT, `Register: at most ${MAX_RUNNING_ATTEMPTS} running_attempt_ids, got ${register.runningAttemptIds.length}`);
            return;
          }
          session = this.scheduler.addSession(register, sink);
          return;
        }
        session.lastSeenMs = Date.now();
        switch (msg?.$case) {
          case 'credit':
            this.scheduler.grantCredit(session, msg.value.tasks);
            return;
          case 'results':
            this.scheduler.handleResults(session, msg.value.results);
            return;
          case 'progress':
            this.scheduler.handleProgress(session, msg.value.progress);
            return;
          case 'heartbeat':
            this.scheduler.heartbeat(session, msg.value);
            return;
          case 'returned':
            this.scheduler.handleReturned(session, msg.value.attemptIds);
            return;
          case 'register':
            fail(grpc.status.INVALID_ARGUMENT, `agent ${session.name}: "register" sent twice on one stream`);
            return;
          default:
            fail(grpc.status.INVALID_ARGUMENT, `agent ${session.name}: empty AgentMessage`);
        }
      } catch (error) {
        this.log.error({ err: error, sessionId: session?.sessionId }, 'Agents.Connect message failed');
        fail(grpc.status.INTERNAL, `the coordinator failed to handle a message: ${(error as Error).message}`);
      }
    });

    // The agent half-closed (it is leaving): end our side too.
    call.on('end', () => {
      // Leaving on purpose: it does not count as an agent that may come back for scheduling.
      leave('the agent closed its stream', true);
      sink.close();
    });
    call.on('cancelled', () => {
      closed = true;
      leave('the agent stream was cancelled (connection lost)');
    });
    call.on('error', (error) => {
      closed = true;
      leave(`the agent stream failed: ${error.message}`);
    });
  }
}
