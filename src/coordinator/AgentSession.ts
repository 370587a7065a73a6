import type { Logger, pb } from '../protocol/index.ts';
import type { TaskRecord } from './TaskRecord.ts';

/** Where an agent session's messages go: its `Agents.Connect` stream (or a test double). */
export interface AgentSink {
  /** Sends one message; a no-op once the stream has closed. */
  send(message: pb.CoordinatorMessage): void;
  /** Ends the stream with an OK status. */
  close(): void;
  /** Ends the stream with status UNAVAILABLE and this message (lease expired, replaced, shutting down). */
  abort(message: string): void;
}

/**
 * Tasks an agent may hold per announced slot (assigned and not finished, plus credit not used yet):
 * twice what an honest agent asks for at most (a task per slot running plus an adaptive prefetch of
 * up to 128 per slot), so results still on their way never clamp an honest agent.
 */
const MAX_HELD_PER_SLOT = 2 * (1 + 128);

/**
 * One connection of an agent: what it offers, how many more tasks it asked for (credit), the
 * attempts it runs (keyed by attempt id), and what waits to be sent to it after the next commit.
 */
export class AgentSession {
  readonly sessionId: string;
  /** The principal whose agent token opened the session (empty without tokens). */
  readonly principal: string;
  /** The agent's registered name, reported in results as `agent`; attempts belong to it across sessions. */
  readonly name: string;
  readonly capacity: pb.Capacity;
  readonly version: string;
  readonly connectedAtMs = Date.now();
  readonly sink: AgentSink;
  readonly log: Logger;

  /** Tasks the agent is ready to take; each assignment consumes one. */
  credit = 0;
  /** A credit grant was clamped already (logged once per session). */
  creditClamped = false;
  /** Sent `Drain`: no new assignments. */
  draining = false;
  /** Attempts assigned to (or adopted by) this session and not finished. */
  readonly running = new Map<string, TaskRecord>();
  /** Load from the last heartbeat, as the agent sees it. */
  reportedRunning = 0;
  reportedQueued = 0;
  lastHeartbeatMs = 0;
  /** When the agent last sent anything: the lease runs from here. */
  lastSeenMs = Date.now();
  /** Assign batches prepared by a dispatch pass, sent once the attempts are committed. */
  outbox: pb.Assignment[][] = [];
  /** Attempt ids whose results were handled and not committed yet (a commit moves them to {@link acks}). */
  uncommittedAcks: string[] = [];
  /** Attempt ids whose results are committed, to acknowledge (`results_accepted`, or inside an assignment). */
  acks: string[] = [];
  /** The agent takes acknowledgements inside `AssignBatch` (`Register.acks_with_assign`): one message, not two. */
  readonly acksWithAssign: boolean;

  constructor(sessionId: string, register: pb.Register, sink: AgentSink, log: Logger, principal = '') {
    this.sessionId = sessionId;
    this.principal = principal;
    this.name = register.name || sessionId;
    this.capacity = register.capacity!;
    this.version = register.version;
    this.acksWithAssign = register.acksWithAssign;
    this.sink = sink;
    this.log = log;
  }

  /** The session as `Admin.ListAgents` reports it. */
  info(): pb.AgentInfo {
    return {
      name: this.name,
      sessionId: this.sessionId,
      capacity: this.capacity,
      running: this.running.size,
      connectedAtMs: this.connectedAtMs,
      draining: this.draining,
      slotsFree: Math.max(0, this.capacity.slots - this.slotsTaken()),
      reportedRunning: this.reportedRunning,
      reportedQueued: this.reportedQueued,
      lastHeartbeatMs: this.lastHeartbeatMs,
      version: this.version,
    };
  }

  /**
   * How much of a credit grant of `tasks` the session may have: what keeps its attempts plus its
   * credit within {@link MAX_HELD_PER_SLOT} per announced slot, so that an agent (a rogue one, or one
   * configured with a huge prefetch) cannot take the queued work of every job. The first clamp is logged.
   */
  admitCredit(tasks: number): number {
    const most = Math.max(1, this.capacity.slots) * MAX_HELD_PER_SLOT;
    const admitted = Math.max(0, Math.min(tasks, most - this.credit - this.running.size));
    if (admitted < tasks && !this.creditClamped) {
      this.creditClamped = true;
      this.log.warn(
        { asked: tasks, admitted, credit: this.credit, running: this.running.size, slots: this.capacity.slots, most },
        `agent "${this.name}" asked for more tasks than ${MAX_HELD_PER_SLOT} per announced slot (running plus credit); credit clamped to ${most} (logged once per session)`,
      );
    }
    return admitted;
  }

  /** Slots taken by the attempts this session runs (a task takes its job's `slots`). */
  slotsTaken(): number {
    let taken = 0;
    for (const record of this.running.values()) taken += record.job.slots;
    return taken;
  }
}
