import { Command } from 'commander';
import type { pb } from '../../protocol/index.ts';
import { ClusterClient } from '../ClusterClient.ts';
import { CliError } from '../CliError.ts';
import { connectionOptions, type ConnectionFlags } from '../connectionOptions.ts';
import { ExitCode, type ExitCodeValue } from '../ExitCode.ts';
import { formatAge } from '../formatAge.ts';
import { formatRequirements } from '../formatRequirements.ts';
import { formatTable } from '../formatTable.ts';
import { parsePositiveInt } from '../parseKeyValue.ts';
import { ProgressBar } from '../ProgressBar.ts';
import { resolveConnection } from '../resolveConnection.ts';

type JsonFlag = ConnectionFlags & { json?: boolean };

const STATES = ['open', 'completed', 'cancelled', 'failed'];
/** How long `jobs watch` keeps asking a coordinator that stopped answering before it gives up (exit 3). */
const WATCH_RECONNECT_MS = 30_000;

/** `drover jobs ls|show|watch|cancel`: the jobs of a running coordinator. */
export function jobsCommand(): Command {
  const jobs = new Command('jobs').description('list, inspect, watch and cancel the jobs of a coordinator');

  jobs.addCommand(
    connectionOptions(
      new Command('ls')
        .alias('list')
        .description('list jobs (open ones and recently finished ones), oldest first')
        .option('--state <state>', `only jobs in this state (${STATES.join(', ')})`)
        .option('--json', 'print a JSON array of jobs for scripts'),
    ).action(async (opts: JsonFlag & { state?: string }) => {
      if (opts.state !== undefined && !STATES.includes(opts.state)) {
        throw new CliError('DROVER_USAGE', `--state must be one of ${STATES.join(', ')}, got ${JSON.stringify(opts.state)}`, ExitCode.usage);
      }
      await withClient(opts, async (client) => {
        const list = await client.listJobs(opts.state ?? '');
        if (opts.json) return print(list);
        if (list.length === 0) return process.stdout.write('no jobs\n');
        const rows = list.map((j) => [
          j.jobId, j.name || '-', j.state, progress(j), String(j.tasksFailed), String(j.tasksRunning), String(j.tasksQueued),
          formatAge(j.createdAtMs), j.owner || '-',
        ]);
        process.stdout.write(formatTable(['JOB', 'NAME', 'STATE', 'DONE', 'FAILED', 'RUNNING', 'QUEUED', 'AGE', 'OWNER'], rows));
      });
    }),
  );

  jobs.addCommand(
    connectionOptions(
      new Command('show')
        .description('show one job: state, progress, failures by kind, requirements')
        .argument('<id>', 'job id (see `drover jobs ls`)')
        .option('--json', 'print the job as JSON for scripts'),
    ).action(async (id: string, opts: JsonFlag) => {
      await withClient(opts, async (client) => {
        const job = await client.getJob(id);
        if (opts.json) return print(job);
        process.stdout.write(formatJob(job));
      });
    }),
  );

  jobs.addCommand(
    connectionOptions(
      new Command('watch')
        .description('follow a job with a live progress bar (rate, ETA) until it ends; the exit code says how it ended ' +
          '(0 completed, 1 failed or some tasks failed, 6 cancelled)')
        .argument('<id>', 'job id (see `drover jobs ls`)')
        .option('--interval <ms>', 'how often to ask the coordinator', parsePositiveInt, 500)
        .option('--json', 'no bar: print the job as JSON when it ends'),
    ).action(async (id: string, opts: JsonFlag & { interval: number }) => {
      await withClient(opts, async (client) => {
        let job = await client.getJob(id);
        const bar = opts.json ? undefined : new ProgressBar(total(job), `${job.jobId} ${job.name}`.trim());
        let unreachableSince = 0;
        for (;;) {
          bar?.update(job.tasksCompleted, total(job), unreachableSince > 0 ? 'coordinator unreachable, retrying' : note(job));
          if (job.state !== 'open') break;
          await new Promise((resolve) => setTimeout(resolve, opts.interval));
          try {
            job = await client.getJob(id);
            unreachableSince = 0;
          } catch (err) {
            // A coordinator restart (it resumes the job from its data) is not the end of the watch.
            if (!(err instanceof CliError && err.exitCode === ExitCode.unreachable)) throw err;
            unreachableSince ||= Date.now();
            if (Date.now() - unreachableSince > WATCH_RECONNECT_MS) throw err;
          }
        }
        if (opts.json) print(job);
        else process.stderr.write(`${job.jobId} ${job.state}: ${job.tasksCompleted - job.tasksFailed} succeeded, ${job.tasksFailed} failed${job.endMessage ? ` (${job.endMessage})` : ''}\n`);
        process.exitCode = outcomeExitCode(job);
      });
    }),
  );

  jobs.addCommand(
    connectionOptions(
      new Command('cancel')
        .description('cancel a job: queued tasks are dropped, running ones are stopped, its client gets CancelledError')
        .argument('<id>', 'job id (see `drover jobs ls`)')
        .option('--json', 'print {"jobId", "cancelled", "state"} for scripts'),
    ).action(async (id: string, opts: JsonFlag) => {
      await withClient(opts, async (client) => {
        const cancelled = await client.cancelJob(id);
        const job = await client.getJob(id);
        if (opts.json) return print({ jobId: id, cancelled, state: job.state });
        process.stdout.write(cancelled ? `${id} cancelled\n` : `${id} had already ended (${job.state}); nothing to cancel\n`);
      });
    }),
  );
  return jobs;
}

/** How `jobs watch` exits for a job that ended. */
function outcomeExitCode(job: pb.JobInfo): ExitCodeValue {
  if (job.state === 'cancelled') return ExitCode.cancelled;
  if (job.state === 'failed' || job.tasksFailed > 0) return ExitCode.failed;
  return ExitCode.ok;
}

async function withClient(flags: ConnectionFlags, use: (client: ClusterClient) => Promise<unknown>): Promise<void> {
  const client = new ClusterClient(resolveConnection(flags));
  try {
    await use(client);
  } finally {
    client.close();
  }
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Tasks the job will have: the announced total once its input ended, else those submitted so far. */
function total(job: pb.JobInfo): number {
  return job.inputEnded ? job.totalTasks : job.tasksSubmitted;
}

function progress(job: pb.JobInfo): string {
  return `${job.tasksCompleted}/${total(job)}${job.inputEnded ? '' : '+'}`;
}

function note(job: pb.JobInfo): string {
  const parts = [`${job.tasksRunning} running`, `${job.tasksQueued} queued`];
  if (job.tasksFailed > 0) parts.push(`${job.tasksFailed} failed`);
  if (!job.inputEnded) parts.push('input streaming');
  return parts.join(', ');
}

function formatJob(job: pb.JobInfo): string {
  const failures = Object.entries(job.failuresByKind).map(([kind, n]) => `${kind}=${n}`).join(' ');
  const lines: [string, string][] = [
    ['job', job.jobId],
    ['name', job.name || '-'],
    ['state', job.state + (job.endMessage ? ` (${job.endMessage})` : '')],
    ['tasks', `${progress(job)} done, ${job.tasksRunning} running, ${job.tasksQueued} queued`],
    ['failed', `${job.tasksFailed}${failures ? ` (${failures})` : ''}`],
    ['requires', formatRequirements(job.requires)],
    ['owner', job.owner || '-'],
    ['created', job.createdAtMs > 0 ? `${new Date(job.createdAtMs).toISOString()} (${formatAge(job.createdAtMs)} ago)` : '-'],
  ];
  return lines.map(([k, v]) => `${`${k}:`.padEnd(10)}${v}`).join('\n') + '\n';
}
