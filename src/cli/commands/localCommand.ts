import { Command } from 'commander';
import { Agent } from '../../agent/index.ts';
import { Coordinator } from '../../coordinator/index.ts';
import { createLogger } from '../../protocol/index.ts';
import { logLevelOption } from '../logLevelOption.ts';
import { onShutdownSignal } from '../onShutdownSignal.ts';
import { refuseOpenListen } from '../refuseOpenListen.ts';
import { parsePositiveInt } from '../parseKeyValue.ts';

/** `drover local`: a coordinator and an agent in one process, for a workstation. */
export function localCommand(): Command {
  return new Command('local')
    .description('run a coordinator and an agent on this machine (point scripts at it with DROVER_ADDRESS)')
    .option('--listen <host:port>', 'gRPC address to listen on', '127.0.0.1:7070')
    .option('--processes <n>', 'worker processes (default: one per usable core)', parsePositiveInt)
    .option('--http <host:port>', 'serve the dashboard (/), /healthz, /readyz and /metrics (Prometheus) on this address')
    .option('--insecure', 'allow listening beyond loopback without authentication (a loud warning is logged)')
    .option('--data <dir>', 'directory for durable state; restarting on it resumes every job (default: in memory)')
    .option('--lease-ms <ms>', 'an agent that sends nothing for this long is considered dead (default 15000)', parsePositiveInt)
    .option('--agent-grace-ms <ms>', 'how long a lost agent\'s tasks wait for it to reconnect (default 5000)', parsePositiveInt)
    .addOption(logLevelOption())
    .action(async (opts: { listen: string; http?: string; insecure?: boolean; processes?: number; data?: string; leaseMs?: number; agentGraceMs?: number; logLevel: string }) => {
      const logger = createLogger({ name: 'drover', level: opts.logLevel });
      refuseOpenListen(opts.listen, opts.insecure, logger);
      const coordinator = new Coordinator({
        listen: opts.listen,
        logger: logger.child({ role: 'coordinator' }),
        ...(opts.data !== undefined ? { dataDir: opts.data } : {}),
        ...(opts.http !== undefined ? { httpListen: opts.http } : {}),
        ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}),
        ...(opts.agentGraceMs !== undefined ? { agentGraceMs: opts.agentGraceMs } : {}),
      });
      await coordinator.start();
      const agent = new Agent({
        coordinator: coordinator.address,
        ...(opts.processes !== undefined ? { processes: opts.processes } : {}),
        logger: logger.child({ role: 'agent' }),
      });
      await agent.start();
      process.stdout.write(`drover coordinator listening on ${coordinator.address}\n`);
      if (coordinator.httpAddress !== undefined) process.stdout.write(`dashboard at http://${coordinator.httpAddress}/\n`);
      process.stdout.write(`export DROVER_ADDRESS=${coordinator.address}\n`);
      onShutdownSignal(logger, async () => {
        await agent.stop({ drain: true });
        await coordinator.stop();
      });
    });
}
