import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const droverBin = fileURLToPath(new URL('../../bin/drover.js', import.meta.url));

/** Start `drover <args>` and resolve with the first stdout line matching `ready`. */
export async function startDrover(args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [droverBin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DROVER_LOG_LEVEL: process.env.DROVER_LOG_LEVEL ?? 'warn', ...env },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000);
    if (process.env.DROVER_TEST_VERBOSE) process.stderr.write(d);
  });
  const lines = createInterface({ input: child.stdout! });
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`drover ${args.join(' ')} did not start in 20 s:\n${stderr}`)), 20_000);
    lines.on('line', (line) => {
      const m = line.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`drover ${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${stderr}`));
    });
  });
  return { child, match };
}

/** Stop a child process: SIGTERM, then SIGKILL if it lingers. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A coordinator and N agents, each a separate OS process, on loopback. */
export class ProcessCluster {
  readonly address: string;
  readonly coordinator: ChildProcess;
  readonly agents: ChildProcess[];

  private constructor(address: string, coordinator: ChildProcess, agents: ChildProcess[]) {
    this.address = address;
    this.coordinator = coordinator;
    this.agents = agents;
  }

  static async start(options: { agents?: number; processes?: number; agentEnv?: NodeJS.ProcessEnv; coordinatorArgs?: string[] } = {}): Promise<ProcessCluster> {
    const { child: coordinator, match } = await startDrover(['coordinator', '--listen', '127.0.0.1:0', ...(options.coordinatorArgs ?? [])], /listening on (\S+)/);
    const address = match[1]!;
    const agents: ChildProcess[] = [];
    try {
      for (let i = 0; i < (options.agents ?? 2); i++) {
        const { child } = await startDrover(
          ['agent', '--coordinator', address, '--processes', String(options.processes ?? 1), '--name', `agent-${i + 1}`],
          /connected/,
          options.agentEnv,
        );
        agents.push(child);
      }
    } catch (err) {
      await Promise.all([...agents, coordinator].map((c) => stopProcess(c)));
      throw err;
    }
    return new ProcessCluster(address, coordinator, agents);
  }

  async stop(): Promise<void> {
    await Promise.all(this.agents.map((a) => stopProcess(a)));
    await stopProcess(this.coordinator);
  }
}
