import { Command, CommanderError } from 'commander';
import { ConnectionError, DroverError, TaskError, UsageError } from '../protocol/index.ts';
import { buildProgram } from './buildProgram.ts';
import { CliError } from './CliError.ts';
import { ExitCode } from './ExitCode.ts';
import { refusedCredentials } from './refusedCredentials.ts';

/** Commander exits by itself (code 1 for usage errors); here every command throws instead, so usage errors exit 2. */
function throwInsteadOfExit(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) throwInsteadOfExit(sub);
}

const program = buildProgram();
throwInsteadOfExit(program);
try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = exitCodeOf(err);
  if (err instanceof CommanderError) {
    // Commander already printed the message (or the help / version asked for).
  } else if (err instanceof DroverError) {
    // Typed errors carry a message meant for people; anything else is a bug worth a stack.
    process.stderr.write(`drover: ${err.message} [${err.code}]\n`);
  } else {
    process.stderr.write(`drover: ${err instanceof Error ? err.stack : String(err)}\n`);
  }
}

function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) {
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version'
      ? ExitCode.ok
      : ExitCode.usage;
  }
  if (err instanceof CliError) return err.exitCode;
  if (refusedCredentials(err)) return ExitCode.unauthorized;
  if (err instanceof UsageError) return ExitCode.usage;
  if (err instanceof ConnectionError) return ExitCode.unreachable;
  if (err instanceof TaskError) return ExitCode.failed;
  return ExitCode.failed;
}
