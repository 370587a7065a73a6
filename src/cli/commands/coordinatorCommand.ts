import { Command } from 'commander';
import { Coordinator, type Limits } from '../../coordinator/index.ts';
import { limitOptions } from '../limitOptions.ts';
import { createLogger } from '../../protocol/logging/index.ts';
import { logLevelOption } from '../logLevelOption.ts';
import { onShutdownSignal } from '../onShutdownSignal.ts';
import { readServerSecurity, type ServerSecurityFlags } from '../readServerSecurity.ts';
import { refuseOpenListen } from '../refuseOpenListen.ts';
import { serverSecurityOptions } from '../serverSecurityOptions.ts';
import { parsePositiveInt } from '../parseKeyValue.ts';

type CoordinatorFlags = { listen: string; http?: string; insecure?: boolean; data?: string; leaseMs?: number; agentGraceMs?: number; logLevel: string } & ServerSecurityFlags & Partial<Limits>;

/** `drover coordinator`: run the coordinator. */
export function coordinatorCommand(): Command {
  const command = new Command('coordinator')
    .description('run the coordinator: accepts jobs from clients and dispatches tasks to agents')
    .option('--listen <host:port>', 'gRPC address to listen on (loopback by default)', '127.0.0.1:7070')
    .option('--http <host:port>', 'serve the dashboard (/), /healthz, /readyz and /metrics (Prometheus) on this address')
    .option('--insecure', 'allow listening beyond loopback without authentication (a loud warning is logged)')
    .option('--data <dir>', 'directory for durable state (jobs, tasks, results, blobs); restarting on it resumes every job (default: in memory)')
    .option('--lease-ms <ms>', 'an agent that sends nothing for this long is considered dead (default 15000)', parsePositiveInt)
    .option('--agent-grace-ms <ms>', 'how long a lost agent\'s tasks wait for it to reconnect before they run elsewhere (default 5000)', parsePositiveInt);
  for (const option of serverSecurityOptions()) command.addOption(option);
  command
    .addOption(logLevelOption())
    .action(async (opts: CoordinatorFlags) => {
      const logger = createLogger({ name: 'coordinator', level: opts.logLevel });
      const security = readServerSecurity(opts);
      refuseOpenListen(opts.listen, opts.insecure, logger, { tokens: security.tokensFile !== undefined, tls: security.tls !== undefined });
      const coordinator = new Coordinator({
        listen: opts.listen,
        logger,
        ...security,
        ...(opts.data !== undefined ? { dataDir: opts.data } : {}),
        ...(opts.http !== undefined ? { httpListen: opts.http } : {}),
        ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}),
        ...(opts.agentGraceMs !== undefined ? { agentGraceMs: opts.agentGraceMs } : {}),
        limits: limitOptions.read(opts),
      });
      await coordinator.start();
      // One plain line on stdout, so scripts and tests can learn the bound port.
      process.stdout.write(`drover coordinator listening on ${coordinator.address}\n`);
      if (coordinator.httpAddress !== undefined) process.stdout.write(`dashboard at ${security.tls ? 'https' : 'http'}://${coordinator.httpAddress}/\n`);
      onShutdownSignal(logger, () => coordinator.stop());
    });
  for (const option of limitOptions.all()) command.addOption(option);
  return command;
}
