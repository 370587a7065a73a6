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
 * One connection of an agent: what it offers, how many more tasks it asked for (credit), the
 * attempts it runs (keyed by attempt id), and what waits to be sent to it after the next commit.
 */
export class AgentSession {
  readonly sessionId: string;
  /** The agent's registered name, reported in results as `agent`; attempts belong to it across sessions. */
  readonly name: string;
  readonly capacity: pb.Capacity;
  readonly version: string;
  readonly connectedAtMs = Date.now();
  readonly sink: AgentSink;
  readonly log: Logger;

  /** Tasks the agent is ready to take; each assignment consumes one. */
  credit = 0;
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
  /** Attempt ids whose results were handled, acknowledged (`results_accepted`) after the commit. */
  acks: string[] = [];

  constructor(sessionId: string, register: pb.Register, sink: AgentSink, log: Logger) {
    this.sessionId = sessionId;
    this.name = register.name || sessionId;
    this.capacity = register.capacity!;
    this.version = register.version;
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

  /** Slots taken by the attempts this session runs (a task takes its job's `slots`). */
  slotsTaken(): number {
    let taken = 0;
    for (const record of this.running.values()) taken += record.job.slots;
    return taken;
  }
}
