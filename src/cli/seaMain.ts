/**
 * Entry of the single-executable agent for VMs (`npm run build:agent` → `dist/drover-agent`): the
 * `drover agent` command on its own, bundled with Node into one file that needs nothing installed.
 *
 * The binary is also its own worker process: `WorkerProcess` forks it with `SEA_WORKER_ARGUMENT`
 * first, and then this runs the worker loop instead of the agent. Both roles are loaded with `import()`
 * so that the bundler keeps them lazy: a worker never initialises gRPC, pino or commander.
 *
 * @module
 */
import packageJson from '../../package.json' with { type: 'json' };
import { SEA_WORKER_ARGUMENT } from '../agent/worker/SEA_WORKER_ARGUMENT.ts';
import { longRunningSettings } from './longRunningSettings.js';
import { quoteNodeOptions } from '../agent/quoteNodeOptions.ts';

if (process.argv[2] !== SEA_WORKER_ARGUMENT && typeof process.execve === 'function') {
  // The agent re-executes itself with the memory settings `drover agent` gets from bin/drover.js. The
  // binary is built to take Node flags from a first `--node-options=...` argument only (sea-config
  // `execArgvExtension: "cli"`, scripts/buildAgentBinary.ts), so that its workers, forked from it, get
  // none of these; NODE_OPTIONS is then ignored by Node itself, and is carried over here instead.
  const userOptions = (process.env.NODE_OPTIONS ?? '').trim();
  const settings = longRunningSettings(process.execArgv, process.env);
  if (settings !== undefined) {
    const options = [quoteNodeOptions([...settings.v8Flags, ...process.execArgv]), userOptions].filter(Boolean).join(' ');
    try {
      process.execve(process.execPath, [process.execPath, ...(options ? [`--node-options=${options}`] : []), ...process.argv.slice(2)], settings.env);
    } catch (error) {
      process.emitWarning(`drover-agent: could not re-execute with its memory settings (${error instanceof Error ? error.message : String(error)}); running without them, and without the Node flags of NODE_OPTIONS`);
    }
  }
}
delete process.env.DROVER_REEXECUTED;

if (process.argv[2] === SEA_WORKER_ARGUMENT) {
  // A single executable's argv is [binary, binary, ...arguments]; the worker reads its own arguments
  // from argv[2] on, as it would after `node workerMain.ts`, so drop the duplicate.
  process.argv.splice(1, 1);
  import('../agent/worker/workerMain.ts').catch((err: unknown) => {
    process.stderr.write(`drover-agent worker: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(2);
  });
} else {
  import('./commands/agentCommand.ts')
    .then(({ agentCommand }) =>
      agentCommand()
        .name('drover-agent')
        .description('the drover agent as a single executable: registers this machine with a coordinator and runs its tasks')
        .version(packageJson.version)
        .parseAsync(process.argv),
    )
    .catch(async (err: unknown) => {
      // As `drover` does: typed errors are meant for people; anything else is a bug worth a stack.
      const { DroverError } = await import('../protocol/index.ts');
      process.stderr.write(
        err instanceof DroverError
          ? `drover-agent: ${err.message} [${err.code}]\n`
          : `drover-agent: ${err instanceof Error ? err.stack : String(err)}\n`,
      );
      process.exit(1);
    });
}
