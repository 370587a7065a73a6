import { Command } from 'commander';
import { join } from 'node:path';
import { connect } from '../../sdk/index.ts';
import { parseKeyValue, parsePositiveInt } from '../parseKeyValue.ts';

interface RunFlags {
  input: Record<string, string>;
  output: string[];
  outDir: string;
  env: Record<string, string>;
  label: Record<string, string>;
  sumo?: boolean;
  timeout?: number;
  keepScratch?: boolean;
  address?: string;
  processes?: number;
}

/** `drover run -- cmd args`: run one executable on an agent, files staged in and collected back. */
export function runCommand(): Command {
  return new Command('run')
    .description('run a command on an agent in a fresh scratch directory, staging inputs and collecting outputs')
    .argument('<command>', 'the executable (on the agent’s PATH)')
    .argument('[args...]', 'its arguments (put `--` before them)')
    .option('--input <name=path>', 'stage a local file into the scratch directory as name (repeatable)', parseKeyValue, {})
    .option('--output <path>', 'collect this file from the scratch directory (repeatable)', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('--out-dir <dir>', 'where collected outputs are written', '.')
    .option('--env <key=value>', 'environment variable for the command (repeatable)', parseKeyValue, {})
    .option('--label <key=value>', 'run only on agents with this label (repeatable)', parseKeyValue, {})
    .option('--sumo', 'run only on agents with SUMO')
    .option('--timeout <ms>', 'kill the command after this long', parsePositiveInt)
    .option('--keep-scratch', 'leave the scratch directory on the agent')
    .option('--address <host:port>', 'coordinator (default DROVER_ADDRESS; none: a local cluster on this machine)')
    .option('--processes <n>', 'worker processes of the local cluster', parsePositiveInt)
    .action(async (command: string, args: string[], opts: RunFlags) => {
      const pool = await connect({
        ...(opts.address ? { address: opts.address } : {}),
        ...(opts.processes !== undefined ? { processes: opts.processes } : {}),
      });
      let exitCode = 1;
      try {
        const result = await pool.exec(
          { command, args, env: opts.env, inputs: opts.input, outputs: opts.output, ...(opts.keepScratch ? { keepScratch: true } : {}) },
          {
            requires: { labels: opts.label, ...(opts.sumo ? { sumo: true } : {}) },
            ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
          },
        );
        process.stdout.write(result.stdoutTail);
        process.stderr.write(result.stderrTail);
        for (const [name, blob] of Object.entries(result.outputs)) {
          await pool.downloadBlob(blob.digest, join(opts.outDir, name.split('/').join('_')));
        }
        for (const missing of result.missingOutputs) process.stderr.write(`drover: ${command} did not write ${missing}\n`);
        const how = result.signal ? `killed by ${result.signal}` : `exit ${result.exitCode}`;
        process.stderr.write(`drover: ${how} on ${result.agent}/${result.worker} in ${(result.wallMs / 1000).toFixed(2)} s` +
          `${result.scratchDir ? `; scratch kept at ${result.scratchDir}` : ''}\n`);
        exitCode = result.exitCode ?? 128;
      } finally {
        await pool.close();
      }
      process.exitCode = exitCode;
    });
}
