// Starts `drover local`, `drover coordinator` or `drover agent` as a separate process, as users run
// it, so its CPU and memory can be read from /proc apart from the benchmark's own process.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ensureDist } from './ensureDist.ts';

const DROVER = fileURLToPath(new URL('../bin/drover.js', import.meta.url));

export interface DroverProcess {
  /** `host:port` for `connect`; empty for an agent. */
  address: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * `mode` 'local' and 'coordinator' get a fresh durable data dir (the store on, as users run it) and
 * an ephemeral port; the promise resolves once the coordinator prints its address.
 */
export async function startDrover(mode: 'local' | 'coordinator' | 'agent', extraArgs: string[] = []): Promise<DroverProcess> {
  ensureDist();
  const data = mode === 'agent' ? '' : mkdtempSync(join(tmpdir(), 'drover-bench-'));
  const args = mode === 'agent' ? extraArgs : ['--listen', '127.0.0.1:0', '--data', data, ...extraArgs];
  // BENCH_NODE_ARGS: Node/V8 flags for the drover process alone (e.g. GC settings under test).
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, DROVER, mode, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, DROVER_LOG_LEVEL: 'warn' },
  });
  const address =
    mode === 'agent'
      ? ''
      : await new Promise<string>((resolve, reject) => {
          createInterface({ input: child.stdout! }).on('line', (line) => {
            // `drover local` takes only the client token it wrote to this file (the SDK reads DROVER_TOKEN_FILE).
            const tokenFile = line.match(/DROVER_TOKEN_FILE=(\S+)/);
            if (tokenFile) process.env.DROVER_TOKEN_FILE = tokenFile[1]!;
            const m = line.match(/listening on (\S+)/);
            if (m) resolve(m[1]!);
          });
          child.once('exit', (code) => reject(new Error(`drover ${mode} exited with ${code}`)));
        });
  if (mode === 'agent') child.stdout!.resume();
  return {
    address,
    pid: child.pid!,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (data) rmSync(data, { recursive: true, force: true });
    },
  };
}
