// Flags of the long-running commands: --log-level (env DROVER_LOG_LEVEL) and the agent's --http side.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { stopProcess } from '../ProcessCluster.ts';

const droverBin = fileURLToPath(new URL('../../../bin/drover.js', import.meta.url));
const children: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => stopProcess(c)));
});

/** Starts `drover <args>`, collecting stderr, and resolves with the first stdout line matching `ready`. */
async function start(args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; match: RegExpMatchArray; stderr: () => string }> {
  const child = spawn(process.execPath, [droverBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DROVER_LOG_LEVEL: '', ...env } });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    lines.on('line', (line) => {
      const m = line.match(ready);
      if (m) resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`drover ${args.join(' ')} exited ${code}:\n${stderr}`)));
  });
  return { child, match, stderr: () => stderr };
}

describe('--log-level', () => {
  it('info logs the coordinator starting; warn does not; DROVER_LOG_LEVEL is the default', async () => {
    const info = await start(['coordinator', '--listen', '127.0.0.1:0', '--log-level', 'info'], /listening on (\S+)/);
    // pino writes stderr asynchronously: the log line may land just after the stdout line.
    for (let i = 0; i < 100 && !/coordinator listening/.test(info.stderr()); i++) await new Promise((r) => setTimeout(r, 20));
    expect(info.stderr()).toMatch(/coordinator listening/);
    const quiet = await start(['coordinator', '--listen', '127.0.0.1:0', '--log-level', 'warn'], /listening on (\S+)/);
    const fromEnv = await start(['coordinator', '--listen', '127.0.0.1:0'], /listening on (\S+)/, { DROVER_LOG_LEVEL: 'error' });
    await stopProcess(quiet.child);
    await stopProcess(fromEnv.child);
    expect(quiet.stderr()).not.toMatch(/coordinator listening|coordinator stopped/);
    expect(fromEnv.stderr()).not.toMatch(/coordinator listening|coordinator stopped/);
  });

  it('refuses an unknown level with exit code 2', async () => {
    const child = spawn(process.execPath, [droverBin, 'coordinator', '--log-level', 'loud'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toMatch(/Allowed choices are trace, debug, info, warn, error, silent/);
  });
});

describe('drover agent --http', () => {
  it('serves /healthz and /metrics with the agent\'s slots; its log lines carry its name', async () => {
    const coordinator = await start(['coordinator', '--listen', '127.0.0.1:0', '--log-level', 'warn'], /listening on (\S+)/);
    const agent = await start(
      ['agent', '--coordinator', coordinator.match[1]!, '--processes', '2', '--name', 'http-agent', '--http', '127.0.0.1:0', '--log-level', 'info'],
      /http on (\S+)/,
    );
    const address = agent.match[1]!;
    expect((await fetch(`http://${address}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`http://${address}/metrics`)).text();
    expect(metrics).toMatch(/^drover_agent_slots 2$/m);
    expect(metrics).toMatch(/^drover_agent_connected 1$/m);
    expect(agent.stderr()).toMatch(/"agent":"http-agent".*"msg":"agent started"/);
  });
});
