import { Command, InvalidArgumentError } from 'commander';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { connect, TaskError, type TaskOptions } from '../../sdk/index.ts';
import { CliError } from '../CliError.ts';
import { connectionOptions, type ConnectionFlags } from '../connectionOptions.ts';
import { ExitCode } from '../ExitCode.ts';
import { JsonLinesWriter } from '../JsonLinesWriter.ts';
import { parseKeyValue, parsePositiveInt, parseResource } from '../parseKeyValue.ts';
import { ProgressBar } from '../ProgressBar.ts';
import { lineOfItem } from '../lineOfItem.ts';
import { readJsonLines } from '../readJsonLines.ts';
import { resolveConnection } from '../resolveConnection.ts';

interface MapFlags extends ConnectionFlags {
  input: string;
  output: string;
  chunksize?: number;
  window?: number;
  unordered?: boolean;
  cpus?: number;
  memoryMb?: number;
  sumo?: string | boolean;
  label: Record<string, string>;
  resource: Record<string, number>;
  waitMs?: number;
  timeout?: number;
  retries?: number;
  retryOnError?: boolean;
  processes?: number;
  progress?: boolean;
}

/**
 * `drover map MODULE#export --input items.jsonl --output results.jsonl`: `Pool.imap` for people who
 * do not write TypeScript. Each input line is one JSON value, passed as the task's argument; each
 * output line is the JSON of its result, in input order (completion order with `--unordered`).
 */
export function mapCommand(): Command {
  return connectionOptions(
    new Command('map')
      .description('apply an exported task function to every line of a JSON-lines file on the cluster; results as JSON lines, in input order. ' +
        'A failing item stops the job: results before it are written, the error goes to stderr, exit code 1.')
      .argument('<module#export>', 'task module (.ts, .js or .mjs file) and the name of the exported function, e.g. tasks.ts#simulate')
      .option('--input <path>', 'JSON lines, one item per line (- for stdin)', '-')
      .option('--output <path>', 'where results go, one JSON line per item (- for stdout)', '-')
      .option('--chunksize <n>', 'items per task (default 1)', parsePositiveInt)
      .option('--window <n>', 'tasks in flight at most (default 1024)', parsePositiveInt)
      .option('--unordered', 'write results as they complete, not in input order (line order no longer matches the input)')
      .option('--cpus <n>', 'slots (cores) each task needs', parsePositiveInt)
      .option('--memory-mb <mb>', 'memory an agent must offer, MiB', parsePositiveInt)
      .option('--sumo [range]', 'run only on agents with SUMO (optionally a version range, e.g. ">=1.15")')
      .option('--label <key=value>', 'run only on agents with this label (repeatable)', parseKeyValue, {})
      .option('--resource <name=amount>', 'custom resource each task needs (repeatable)', parseResource, {})
      .option('--wait-ms <ms>', 'how long to wait for an agent meeting the requirements before failing as unschedulable', parseNonNegativeInt)
      .option('--timeout <ms>', 'per-task time limit; the worker is killed and the item fails with kind timeout', parsePositiveInt)
      .option('--retries <n>', 'extra attempts after infrastructure failures (default 3)', parseNonNegativeInt)
      .option('--retry-on-error', 'retry also when the function throws')
      .option('--processes <n>', 'worker processes of the local cluster started when no coordinator is given', parsePositiveInt)
      .option('--progress', 'draw a progress bar on stderr'),
    'coordinator address (default DROVER_ADDRESS; none: a local cluster on this machine, like connect())',
  ).action(async (target: string, opts: MapFlags) => {
    const hash = target.lastIndexOf('#');
    if (hash <= 0 || hash === target.length - 1) {
      throw new CliError('DROVER_USAGE', `expected MODULE#export (e.g. tasks.ts#simulate), got ${JSON.stringify(target)}`, ExitCode.usage);
    }
    const modulePath = target.slice(0, hash);
    const exportName = target.slice(hash + 1);
    const settings = resolveConnection(opts);
    const output = new JsonLinesWriter(opts.output);
    await output.open();
    const controller = new AbortController();
    const interrupt = () => controller.abort();
    process.once('SIGINT', interrupt);
    const pool = await connect({
      ...(settings.address !== undefined ? { address: settings.address } : {}),
      ...(settings.token !== undefined ? { token: settings.token } : {}),
      ...(settings.tls !== undefined ? { tls: settings.tls } : {}),
      ...(opts.processes !== undefined ? { processes: opts.processes } : {}),
    });
    let written = 0;
    const blankLines: number[] = [];
    try {
      const tasks = await pool.load<Record<string, JsonTask>>(isAbsolute(modulePath) ? modulePath : resolvePath(modulePath));
      const fn = tasks[exportName]!;
      const bar = opts.progress ? new ProgressBar(0, `map ${exportName}`) : undefined;
      const options: TaskOptions = {
        ...(opts.chunksize !== undefined ? { chunksize: opts.chunksize } : {}),
        ...(opts.window !== undefined ? { window: opts.window } : {}),
        ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
        ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
        ...(opts.retryOnError ? { retryOn: 'error' as const } : {}),
        requires: {
          ...(opts.cpus !== undefined ? { cpus: opts.cpus } : {}),
          ...(opts.memoryMb !== undefined ? { memoryMb: opts.memoryMb } : {}),
          ...(opts.sumo !== undefined ? { sumo: opts.sumo } : {}),
          ...(opts.waitMs !== undefined ? { waitMs: opts.waitMs } : {}),
          labels: opts.label,
          resources: opts.resource,
        },
        signal: controller.signal,
        ...(bar ? { onProgress: (e) => { if (!e.task) bar.update(e.completed, e.total ?? e.submitted); } } : {}),
      };
      const items = readJsonLines(opts.input, blankLines);
      const results = opts.unordered ? pool.imapUnordered(fn, items, options) : pool.imap(fn, items, options);
      for await (const result of results) {
        await output.write(result);
        written += 1;
      }
    } catch (err) {
      if (err instanceof TaskError) {
        process.stderr.write(formatTaskError(err, written, Boolean(opts.unordered), lineOfItem(err.index, blankLines)));
        process.exitCode = ExitCode.failed;
      } else if (controller.signal.aborted) {
        process.stderr.write(`drover: interrupted; the job was cancelled after ${written} results\n`);
        process.exitCode = ExitCode.interrupted;
      } else {
        throw err;
      }
    } finally {
      process.off('SIGINT', interrupt);
      await output.close();
      await pool.close();
    }
  });
}

/** What a task function looks like from here: one JSON value in, any value out. */
type JsonTask = (item: unknown) => unknown;

function formatTaskError(err: TaskError, written: number, unordered: boolean, line: number): string {
  const where = `item ${err.index} (line ${line} of the input; attempt ${err.attempt}${err.agent ? ` on ${err.agent}${err.worker ? `/${err.worker}` : ''}` : ''})`;
  const detail = err.remoteStack || `${err.remoteName || 'Error'}: ${err.remoteMessage || err.message}`;
  const stderrTail = err.stderrTail ? `\n--- stderr ---\n${err.stderrTail}` : '';
  return `drover: ${where} failed [${err.kind}]: ${err.message}\n${detail}${stderrTail}\n` +
    `drover: ${written} result${written === 1 ? '' : 's'} written${unordered ? '' : ` (items 0..${written - 1})`}; the job stopped at the failure\n`;
}

function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
}
