import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { Agent } from '../../agent/index.ts';
import { Coordinator, type Limits } from '../../coordinator/index.ts';
import { limitOptions } from '../limitOptions.ts';
import { UsageError, type ClientTls } from '../../protocol/index.ts';
import { createLogger } from '../../protocol/logging/index.ts';
import { logLevelOption } from '../logLevelOption.ts';
import { onShutdownSignal } from '../onShutdownSignal.ts';
import { readServerSecurity, type ServerSecurityFlags } from '../readServerSecurity.ts';
import { refuseOpenListen } from '../refuseOpenListen.ts';
import { serverSecurityOptions } from '../serverSecurityOptions.ts';
import { parsePositiveInt } from '../parseKeyValue.ts';
import { parseWorkerNice } from '../parseWorkerNice.ts';
import { WORKER_NICE_HELP } from '../WORKER_NICE_HELP.ts';
import { certificateServerName } from '../certificateServerName.ts';

/** `drover local`: a coordinator and an agent in one process, for a workstation. */
export function localCommand(): Command {
  const command = new Command('local')
    .description('run a coordinator and an agent on this machine (point scripts at it with DROVER_ADDRESS)')
    .option('--listen <host:port>', 'gRPC address to listen on', '127.0.0.1:7070')
    .option('--processes <n>', 'worker processes (default: one per usable core)', parsePositiveInt)
    .option('--worker-nice <n>', WORKER_NICE_HELP, parseWorkerNice)
    .option('--http <host:port>', 'serve the dashboard (/), /healthz, /readyz and /metrics (Prometheus) on this address')
    .option('--insecure', 'allow listening beyond loopback without authentication (a loud warning is logged)')
    .option('--data <dir>', 'directory for durable state; restarting on it resumes every job (default: in memory)')
    .option('--lease-ms <ms>', 'an agent that sends nothing for this long is considered dead (default 15000)', parsePositiveInt)
    .option('--agent-grace-ms <ms>', 'how long a lost agent\'s tasks wait for it to reconnect (default 5000)', parsePositiveInt);
  for (const option of serverSecurityOptions()) command.addOption(option);
  for (const option of limitOptions.all()) command.addOption(option);
  return command
    .addOption(logLevelOption())
    .action(async (opts: { listen: string; http?: string; insecure?: boolean; processes?: number; workerNice?: number; data?: string; leaseMs?: number; agentGraceMs?: number; logLevel: string } & ServerSecurityFlags & Partial<Limits>) => {
      const logger = createLogger({ name: 'drover', level: opts.logLevel });
      const security = readServerSecurity(opts);
      if (security.tls?.clientCa !== undefined) {
        throw new UsageError(
          'drover local: --tls-client-ca (agents must present a client certificate) does not apply: its agent runs inside ' +
            'this process. For mutual TLS, run `drover coordinator --tls-client-ca` and `drover agent --tls-cert --tls-key`.',
        );
      }
      refuseOpenListen(opts.listen, opts.insecure, logger, { tokens: security.tokensFile !== undefined, tls: security.tls !== undefined });
      // The in-process agent joins with a random agent token. Without --tokens-file, clients use a
      // random client token too, written to a file only this user can read (never printed).
      const agentToken = randomBytes(32).toString('hex');
      let tokenDir: string | undefined;
      let clientTokenFile: string | undefined;
      const tokens: Array<{ role: 'admin' | 'agent'; principal: string; token: string }> = [{ role: 'agent', principal: 'local-agent', token: agentToken }];
      if (security.tokensFile === undefined) {
        const clientToken = randomBytes(32).toString('hex');
        // Admin: the one user of a workstation cluster sees everything, the dashboard included.
        tokens.push({ role: 'admin', principal: 'local', token: clientToken });
        tokenDir = mkdtempSync(join(tmpdir(), 'drover-local-'));
        clientTokenFile = join(tokenDir, 'token');
        writeFileSync(clientTokenFile, `${clientToken}\n`, { mode: 0o600 });
      }
      const removeTokenDir = (): void => {
        if (tokenDir !== undefined) rmSync(tokenDir, { recursive: true, force: true });
      };
      process.once('exit', removeTokenDir);
      // A signal while starting (before the drain handler below) must not leave the token behind.
      const stopWhileStarting = (signal: NodeJS.Signals): void => {
        removeTokenDir();
        process.exit(signal === 'SIGINT' ? 130 : 143);
      };
      process.once('SIGTERM', stopWhileStarting);
      process.once('SIGINT', stopWhileStarting);
      const coordinator = new Coordinator({
        listen: opts.listen,
        logger: logger.child({ role: 'coordinator' }),
        ...security,
        tokens,
        ...(opts.data !== undefined ? { dataDir: opts.data } : {}),
        ...(opts.http !== undefined ? { httpListen: opts.http } : {}),
        ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}),
        ...(opts.agentGraceMs !== undefined ? { agentGraceMs: opts.agentGraceMs } : {}),
        limits: limitOptions.read(opts),
      });
      await coordinator.start();
      const agent = new Agent({
        coordinator: coordinator.address,
        token: agentToken,
        // Its blob calls go over gRPC: with TLS, it trusts exactly the certificate this coordinator serves.
        ...(security.tls !== undefined ? { tls: localAgentTls(security.tls.cert) } : {}),
        // Beside its coordinator: the session stream stays inside this process (blob calls use the token).
        connectStream: () => coordinator.openAgentStream('local-agent'),
        ...(opts.processes !== undefined ? { processes: opts.processes } : {}),
        ...(opts.workerNice !== undefined ? { workerNice: opts.workerNice } : {}),
        logger: logger.child({ role: 'agent' }),
      });
      await agent.start();
      // One line a shell can eval (the token itself stays in its file), then the line scripts wait for.
      process.stdout.write(`export DROVER_ADDRESS=${coordinator.address}${clientTokenFile !== undefined ? ` DROVER_TOKEN_FILE=${clientTokenFile}` : ''}\n`);
      process.stdout.write(`drover coordinator listening on ${coordinator.address}\n`);
      if (coordinator.httpAddress !== undefined) {
        const where = clientTokenFile !== undefined ? ` (its token is in ${clientTokenFile})` : '';
        process.stdout.write(`dashboard at http://${coordinator.httpAddress}/${where}\n`);
      }
      process.off('SIGTERM', stopWhileStarting);
      process.off('SIGINT', stopWhileStarting);
      onShutdownSignal(logger, async () => {
        await agent.stop({ drain: true });
        await coordinator.stop();
        removeTokenDir();
      });
    });
}

/** TLS for the in-process agent's calls to its own coordinator: the served certificate, pinned, under a name it carries. */
function localAgentTls(servedChain: string | Uint8Array): ClientTls {
  const serverName = certificateServerName(servedChain);
  return { ca: servedChain, partialTrustChain: true, ...(serverName !== undefined ? { serverName } : {}) };
}
