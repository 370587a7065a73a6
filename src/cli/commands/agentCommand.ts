import { Command, Option } from 'commander';
import { Agent } from '../../agent/index.ts';
import { createLogger } from '../../protocol/index.ts';
import { onShutdownSignal } from '../onShutdownSignal.ts';
import { parseKeyValue, parsePositiveInt, parseResource } from '../parseKeyValue.ts';
import { clientCredentialOptions } from '../clientCredentialOptions.ts';
import { readClientCredentials, type ClientCredentialFlags } from '../readClientCredentials.ts';

interface AgentFlags extends ClientCredentialFlags {
  logLevel?: string;
  coordinator: string;
  processes?: number;
  name?: string;
  label: Record<string, string>;
  resource: Record<string, number>;
  maxTasksPerWorker?: number;
  maxWorkerRssMb?: number;
  workDir?: string;
}

/** `drover agent`: run an agent that executes tasks for a coordinator. */
export function agentCommand(): Command {
  const command = new Command('agent')
    .description('run an agent: registers this machine’s capacity and runs tasks in a pool of worker processes')
    .option('--coordinator <host:port>', 'coordinator address (default DROVER_ADDRESS or 127.0.0.1:7070)')
    .option('--processes <n>', 'worker processes (default: one per usable core)', parsePositiveInt)
    .option('--name <name>', 'agent name shown in results (default hostname-pid)')
    .option('--label <key=value>', 'label tasks can require (repeatable)', parseKeyValue, {})
    .option('--resource <name=amount>', 'custom resource tasks can require (repeatable)', parseResource, {})
    .option('--max-tasks-per-worker <n>', 'replace a worker process after it ran n tasks (default: never)', parsePositiveInt)
    .option('--max-worker-rss-mb <mb>', 'replace a worker process whose memory (RSS) passed mb MiB after a task (default: never)', parsePositiveInt)
    .option('--work-dir <dir>', 'where tasks get their scratch directories, removed after each attempt (default: drover-work-<uid> in the temp dir)');
  for (const option of clientCredentialOptions()) command.addOption(option);
  return command
    .addOption(new Option('--log-level <level>', 'trace, debug, info, warn or error').env('DROVER_LOG_LEVEL'))
    .action(async (opts: AgentFlags) => {
      const logger = createLogger({ name: 'agent', ...(opts.logLevel !== undefined ? { level: opts.logLevel } : {}) });
      const agent = new Agent({
        ...readClientCredentials(opts),
        coordinator: opts.coordinator ?? process.env.DROVER_ADDRESS ?? '127.0.0.1:7070',
        ...(opts.processes !== undefined ? { processes: opts.processes } : {}),
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        labels: opts.label,
        resources: opts.resource,
        ...(opts.maxTasksPerWorker !== undefined ? { maxTasksPerWorker: opts.maxTasksPerWorker } : {}),
        ...(opts.maxWorkerRssMb !== undefined ? { maxWorkerRssMb: opts.maxWorkerRssMb } : {}),
        ...(opts.workDir !== undefined ? { workDir: opts.workDir } : {}),
        logger,
      });
      await agent.start();
      process.stdout.write(`drover agent ${agent.name} connected\n`);
      // SIGTERM drains: nothing new is taken, running tasks finish, their results are acknowledged (or
      // 10 s pass), then the process exits 0.
      onShutdownSignal(logger, () => agent.stop({ drain: true }));
    });
}
