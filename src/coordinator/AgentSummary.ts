import type { pb } from '../protocol/index.ts';

/** An agent session as the dashboard reads it from the scheduler at request time. */
export interface AgentSummary {
  info: pb.AgentInfo;
  /**
   * Slots the attempts assigned to it would occupy (each task `requires.cpus`, at least 1). It can
   * exceed the agent's slots: agents take credit ahead and queue a few tasks locally.
   */
  slotsAssigned: number;
}
