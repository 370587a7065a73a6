import { Command, InvalidArgumentError } from 'commander';
import { Agent } from '../../agent/index.ts';
import { createLogger } from '../../protocol/logging/index.ts';
import { connectionOptions, type ConnectionFlags } from '../connectionOptions.ts';
import { logLevelOption } from '../logLevelOption.ts';
import { onShutdownSignal } from '../onShutdownSignal.ts';
import { parseKeyValue, parsePositiveInt, parseResource } from '../parseKeyValue.ts';
import { parseWorkerNice } from '../parseWorkerNice.ts';
import { WORKER_NICE_HELP } from '../WORKER_NICE_HELP.ts';
import { resolveConnection } from '../resolveConnection.ts';

interface AgentFlags extends ConnectionFlags {
  processes?: number;
  name?: string;
  label: Record<string, string>;
  resource: Record<string, number>;
  workerNice?: number;
  maxTasksPerWorker?: number;
  maxWorkerRssMb?: number;
  workDir?: string;
  http?: string;
  logLevel: string;
  uid?: number;
  gid?: number;
}

/** Commander parser for a user or group id. */
function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a user or group number, got "${value}"`);
  return n;
}

/** `drover agent`: run an agent that executes tasks for a coordinator. */
export function agentCommand(): Command {
  const command = new Command('agent').description('run an agent: registers this machine’s capacity and runs tasks in a pool of worker processes');
  // --coordinator, --token-file, --tls, --tls-ca, --tls-cert/--tls-key (client certificate for mTLS).
  return connectionOptions(command)
    .option('--processes <n>', 'worker processes (default: one per usable core)', parsePositiveInt)
    .option('--name <name>', 'agent name shown in results (default hostname-pid)')
    .option('--label <key=value>', 'label tasks can require (repeatable)', parseKeyValue, {})
    .option('--resource <name=amount>', 'custom resource tasks can require (repeatable)', parseResource, {})
    .option('--worker-nice <n>', WORKER_NICE_HELP, parseWorkerNice)
    .option('--max-tasks-per-worker <n>', 'replace a worker process after it ran n tasks (default: never)', parsePositiveInt)
    .option('--max-worker-rss-mb <mb>', 'replace a worker process whose memory (RSS) passed mb MiB after a task (default: never)', parsePositiveInt)
    .option('--http <host:port>', 'serve /healthz, /readyz and /metrics (Prometheus) on this address')
    .option('--work-dir <dir>', 'where tasks get their scratch directories, removed after each attempt (default: drover-work-<uid> in the temp dir)')
    .addOption(logLevelOption())
    .option('--uid <n>', 'run worker processes (tasks and their commands) as this unprivileged user id; the agent must run as root', parseNonNegativeInt)
    .option('--gid <n>', 'group id of the worker processes with --uid (default: the same number as --uid)', parseNonNegativeInt)
    .action(async (opts: AgentFlags) => {
      const logger = createLogger({ name: 'agent', level: opts.logLevel });
      const connection = resolveConnection(opts);
      const agent = new Agent({
        coordinator: connection.address ?? '127.0.0.1:7070',
        ...(connection.token !== undefined ? { token: connection.token } : {}),
        ...(connection.tls !== undefined ? { tls: connection.tls } : {}),
        ...(opts.processes !== undefined ? { processes: opts.processes } : {}),
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        labels: opts.label,
        resources: opts.resource,
        ...(opts.workerNice !== undefined ? { workerNice: opts.workerNice } : {}),
        ...(opts.maxTasksPerWorker !== undefined ? { maxTasksPerWorker: opts.maxTasksPerWorker } : {}),
        ...(opts.maxWorkerRssMb !== undefined ? { maxWorkerRssMb: opts.maxWorkerRssMb } : {}),
        ...(opts.workDir !== undefined ? { workDir: opts.workDir } : {}),
        ...(opts.http !== undefined ? { httpListen: opts.http } : {}),
        ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
        ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
        logger,
      });
      await agent.start();
      process.stdout.write(`drover agent ${agent.name} connected\n`);
      if (agent.httpAddress !== undefined) process.stdout.write(`drover agent http on ${agent.httpAddress}\n`);
      // SIGTERM drains: nothing new is taken, running tasks finish, their results are acknowledged (or
      // 10 s pass), then the process exits 0.
      onShutdownSignal(logger, () => agent.stop({ drain: true }));
    });
}
