import * as grpc from '@grpc/grpc-js';
import type { AgentsStream, Logger, pb } from '../protocol/index.ts';
import type { AgentsServerStream } from './AgentsServerStream.ts';
import type { AgentSession, AgentSink } from './AgentSession.ts';
import { CallPrincipal } from './auth/CallPrincipal.ts';
import type { Principal } from './auth/Principal.ts';
import { InProcessAgentsStream } from './InProcessAgentsStream.ts';
import type { ServedJobs } from './auth/ServedJobs.ts';
import { boundAttemptResults, limitFlag, resolveLimits, validateRegister, type Limits } from './limits/index.ts';
import type { Scheduler } from './Scheduler.ts';
import { statusError } from './statusError.ts';

/**
 * `drover.v1.Agents`: one `Connect` stream per agent session. The first message registers the
 * agent (listing the attempts it still runs after a reconnect); afterwards credit, results,
 * progress and heartbeats go to the {@link Scheduler}, each renewing the session's lease. Whatever
 * way the stream ends, the session's attempts wait the agent grace period for the agent to
 * come back before they are re-queued.
 *
 * It also tells the blob service which jobs each live session serves ({@link ServedJobs}): an agent
 * fetches and stores blobs only for the jobs whose attempts it holds.
 */
export class AgentsService implements ServedJobs {
  private readonly scheduler: Scheduler;
  /** Live sessions by id, with the principal that opened each (a session id alone is not enough). */
  private readonly live = new Map<string, { session: AgentSession; principal: string }>();
  private readonly log: Logger;
  private readonly limits: Limits;

  constructor(scheduler: Scheduler, logger: Logger, limits: Limits = resolveLimits()) {
    this.scheduler = scheduler;
    this.log = logger;
    this.limits = limits;
  }

  ownerIfServed(sessionId: string, agent: string, jobId: string): string | undefined {
    const entry = this.live.get(sessionId);
    if (entry === undefined || entry.principal !== agent) return undefined;
    for (const record of entry.session.running.values()) {
      if (record.job.id === jobId) return record.job.owner;
    }
    return undefined;
  }

  /** The principal of the live session named `name`, if any (registrations are rare: a scan is fine). */
  private liveHolderOf(name: string): string | undefined {
    for (const entry of this.live.values()) if (entry.session.name === name) return entry.principal;
    return undefined;
  }

  /** The handlers to pass to `server.addService(pb.AgentsService, ...)`. */
  handlers(): pb.AgentsServer {
    return { connect: (call) => this.connect(call) };
  }

  /**
   * An `Agents.Connect` stream for an agent in this process, as `principal` (trusted: only code in this
   * process can open one): see {@link InProcessAgentsStream}.
   */
  openInProcess(principal: Principal): AgentsStream {
    return new InProcessAgentsStream((serverEnd) => {
      CallPrincipal.set(serverEnd, principal);
      this.connect(serverEnd);
    });
  }

  private connect(call: AgentsServerStream): void {
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
      if (session === undefined) return;
      if (this.live.get(session.sessionId)?.session === session) this.live.delete(session.sessionId);
      this.scheduler.removeSession(session, reason, { left });
    };
    const fail = (code: grpc.status, message: string): void => {
      const wasOpen = !closed;
      closed = true;
      clearTimeout(registerTimer);
      leave(message);
      if (wasOpen) call.emit('error', statusError(code, message));
    };

    // A stream that never registers holds a call open for nothing: it is closed.
    const registerTimer = setTimeout(() => {
      if (session === undefined && !closed) {
        fail(grpc.status.DEADLINE_EXCEEDED, `the Agents.Connect stream sent no "register" within ${this.limits.streamOpenTimeoutMs} ms (set with drover coordinator ${limitFlag('streamOpenTimeoutMs')})`);
      }
    }, this.limits.streamOpenTimeoutMs);
    registerTimer.unref();

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
          const problem = validateRegister(register, this.limits);
          if (problem) {
            fail(problem.code, problem.message);
            return;
          }
          // A new session replaces the live one of the same name (an agent reconnecting): only
          // the principal that opened it may do that, or any agent token could cut off any agent.
          const principal = CallPrincipal.of(call).name;
          const holder = this.liveHolderOf(register.name);
          if (holder !== undefined && holder !== principal) {
            fail(grpc.status.PERMISSION_DENIED, `Register: agent name ${JSON.stringify(register.name)} is in use by a live agent of another principal; give this agent its own name (drover agent --name)`);
            return;
          }
          clearTimeout(registerTimer);
          session = this.scheduler.addSession(register, sink, principal);
          this.live.set(session.sessionId, { session, principal });
          return;
        }
        session.lastSeenMs = Date.now();
        switch (msg?.$case) {
          case 'credit':
            this.scheduler.grantCredit(session, session.admitCredit(msg.value.tasks));
            return;
          case 'results':
            this.scheduler.handleResults(session, boundAttemptResults(msg.value.results, this.limits));
            if (msg.value.credit > 0) this.scheduler.grantCredit(session, session.admitCredit(msg.value.credit));
            return;
          case 'progress':
            // Progress is advisory: a report over the result limit is dropped, not relayed.
            this.scheduler.handleProgress(session, msg.value.progress.filter((p) => p.value.length <= this.limits.maxResultBytes));
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
      clearTimeout(registerTimer);
      // Leaving on purpose: it does not count as an agent that may come back for scheduling.
      leave('the agent closed its stream', true);
      sink.close();
    });
    call.on('cancelled', () => {
      clearTimeout(registerTimer);
      closed = true;
      leave('the agent stream was cancelled (connection lost)');
    });
    call.on('error', (error) => {
      clearTimeout(registerTimer);
      closed = true;
      leave(`the agent stream failed: ${error.message}`);
    });
  }
}
