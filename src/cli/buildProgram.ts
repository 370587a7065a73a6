import { Command } from 'commander';
import { agentCommand } from './commands/agentCommand.ts';
import { coordinatorCommand } from './commands/coordinatorCommand.ts';
import { jobsCommand } from './commands/jobsCommand.ts';
import { localCommand } from './commands/localCommand.ts';
import { mapCommand } from './commands/mapCommand.ts';
import { runCommand } from './commands/runCommand.ts';
import { statusCommand } from './commands/statusCommand.ts';
import { sumoCommand } from './commands/sumoCommand.ts';

/** The `drover` command line. Exit codes: see `ExitCode` and docs/cli.md. */
export function buildProgram(): Command {
  return new Command('drover')
    .description('drover: Python’s multiprocessing.Pool verbs over a gRPC cluster')
    .version('0.1.0')
    .addHelpText('after', '\nExit codes: 0 ok, 1 task or job failed, 2 usage, 3 coordinator unreachable, 4 not authorised, ' +
      '5 not found, 6 job cancelled, 130 interrupted. See docs/cli.md.')
    .addCommand(coordinatorCommand())
    .addCommand(agentCommand())
    .addCommand(localCommand())
    .addCommand(statusCommand())
    .addCommand(jobsCommand())
    .addCommand(mapCommand())
    .addCommand(runCommand())
    .addCommand(sumoCommand());
}
