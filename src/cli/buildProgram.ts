import { Command } from 'commander';
import { agentCommand } from './commands/agentCommand.ts';
import { coordinatorCommand } from './commands/coordinatorCommand.ts';
import { localCommand } from './commands/localCommand.ts';
import { runCommand } from './commands/runCommand.ts';
import { sumoCommand } from './commands/sumoCommand.ts';

/** The `drover` command line. */
export function buildProgram(): Command {
  return new Command('drover')
    .description('drover: Python’s multiprocessing.Pool verbs over a gRPC cluster')
    .version('0.1.0')
    .addCommand(coordinatorCommand())
    .addCommand(agentCommand())
    .addCommand(localCommand())
    .addCommand(runCommand())
    .addCommand(sumoCommand());
}
