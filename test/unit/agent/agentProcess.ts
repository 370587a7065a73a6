import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DROVER = fileURLToPath(new URL('../../../bin/drover.js', import.meta.url));

/** A real `drover agent` process, its output kept, its exit awaited. */
export class AgentProcess {
  readonly child: ChildProcess;
  output = '';
  exit: { code: number | null; signal: NodeJS.Signals | null; at: number } | undefined;
  readonly exited: Promise<void>;

  constructor(coordinator: string, tmp: string, flags: string[] = []) {
    // TMPDIR: the agent's bundle cache (under os.tmpdir()) goes into the test's temp dir.
    this.child = spawn(process.execPath, [DROVER, 'agent', '--coordinator', coordinator, '--name', 'test-agent', ...flags], {
      env: { ...process.env, TMPDIR: tmp, DROVER_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal, at: performance.now() };
        resolve();
      }),
    );
  }

  async until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms; agent output:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
