import { randomBytes } from 'node:crypto';
import { Agent } from '../agent/index.ts';
import { Coordinator } from '../coordinator/index.ts';
import type { Logger } from '../protocol/index.ts';
import { createLogger } from '../protocol/logging/index.ts';

/** Options for {@link EmbeddedCluster.start}. */
export interface EmbeddedClusterOptions {
  /** Worker processes; default one per usable core. */
  processes?: number;
  logger?: Logger;
}

/**
 * A coordinator and one agent inside the caller's process (the agent's workers are child
 * processes), on an ephemeral loopback port: what `connect()` gives when no address is set,
 * so a script runs on a laptop unchanged and on a cluster by setting `DROVER_ADDRESS`.
 *
 * The coordinator takes only two random tokens made for this process (a client one and an agent
 * one, never printed or logged), so other local users cannot submit code to it or join it.
 */
export class EmbeddedCluster {
  readonly coordinator: Coordinator;
  readonly agent: Agent;
  /** The client token this cluster's coordinator accepts (what `connect()` uses). */
  readonly clientToken: string;

  private constructor(coordinator: Coordinator, agent: Agent, clientToken: string) {
    this.coordinator = coordinator;
    this.agent = agent;
    this.clientToken = clientToken;
  }

  get address(): string {
    return this.coordinator.address;
  }

  static async start(options: EmbeddedClusterOptions = {}): Promise<EmbeddedCluster> {
    const logger = options.logger ?? createLogger({ name: 'drover', level: process.env.DROVER_LOG_LEVEL ?? 'warn' });
    const clientToken = randomBytes(32).toString('hex');
    const agentToken = randomBytes(32).toString('hex');
    const coordinator = new Coordinator({
      listen: '127.0.0.1:0',
      logger: logger.child({ role: 'coordinator' }),
      tokens: [
        { role: 'client', principal: 'local', token: clientToken },
        { role: 'agent', principal: 'local-agent', token: agentToken },
      ],
    });
    await coordinator.start();
    const agent = new Agent({
      coordinator: coordinator.address,
      token: agentToken,
      // Beside its coordinator: the session stream stays inside this process (blob calls use the token).
      connectStream: () => coordinator.openAgentStream('local-agent'),
      ...(options.processes !== undefined ? { processes: options.processes } : {}),
      logger: logger.child({ role: 'agent' }),
    });
    try {
      await agent.start();
    } catch (err) {
      await coordinator.stop();
      throw err;
    }
    return new EmbeddedCluster(coordinator, agent, clientToken);
  }

  /** Stop the agent (killing its workers) and then the coordinator. */
  async stop(): Promise<void> {
    try {
      await this.agent.stop();
    } finally {
      await this.coordinator.stop();
    }
  }
}
