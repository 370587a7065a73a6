import { Agent } from '../agent/index.ts';
import { Coordinator } from '../coordinator/index.ts';
import { createLogger, type Logger } from '../protocol/index.ts';

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
 */
export class EmbeddedCluster {
  readonly coordinator: Coordinator;
  readonly agent: Agent;

  private constructor(coordinator: Coordinator, agent: Agent) {
    this.coordinator = coordinator;
    this.agent = agent;
  }

  get address(): string {
    return this.coordinator.address;
  }

  static async start(options: EmbeddedClusterOptions = {}): Promise<EmbeddedCluster> {
    const logger = options.logger ?? createLogger({ name: 'drover', level: process.env.DROVER_LOG_LEVEL ?? 'warn' });
    const coordinator = new Coordinator({ listen: '127.0.0.1:0', logger: logger.child({ role: 'coordinator' }) });
    await coordinator.start();
    const agent = new Agent({
      coordinator: coordinator.address,
      ...(options.processes !== undefined ? { processes: options.processes } : {}),
      logger: logger.child({ role: 'agent' }),
    });
    try {
      await agent.start();
    } catch (err) {
      await coordinator.stop();
      throw err;
    }
    return new EmbeddedCluster(coordinator, agent);
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
