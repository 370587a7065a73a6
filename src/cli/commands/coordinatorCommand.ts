import { Command } from 'commander';
import { Coordinator } from '../../coordinator/index.ts';
import { createLogger } from '../../protocol/index.ts';
import { onShutdownSignal } from '../onShutdownSignal.ts';

/** `drover coordinator`: run the coordinator. */
export function coordinatorCommand(): Command {
  return new Command('coordinator')
    .description('run the coordinator: accepts jobs from clients and dispatches tasks to agents')
    .option('--listen <host:port>', 'gRPC address to listen on (loopback by default)', '127.0.0.1:7070')
    .action(async (opts: { listen: string }) => {
      const logger = createLogger({ name: 'coordinator' });
      const coordinator = new Coordinator({ listen: opts.listen, logger });
      await coordinator.start();
      // One plain line on stdout, so scripts and tests can learn the bound port.
      process.stdout.write(`drover coordinator listening on ${coordinator.address}\n`);
      onShutdownSignal(logger, () => coordinator.stop());
    });
}
