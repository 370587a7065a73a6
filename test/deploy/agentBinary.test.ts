// The single-executable agent (`npm run build:agent`): built once, started as its own OS process
// against a real coordinator, it runs tasks sent through the SDK in worker processes that are the
// binary itself (no node, no sources on its PATH or cwd).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, TaskError } from '../../src/sdk/index.ts';
import { startDrover, stopProcess } from '../integration/ProcessCluster.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = new URL('../fixtures/tasks.ts', import.meta.url);

let dir: string;
let binary: string;
let coordinator: ChildProcess | undefined;
let agent: ChildProcess | undefined;
let address: string;

/** Start the binary from an empty directory, with an empty PATH: no node, no sources within reach. */
async function startBinaryAgent(args: string[], env: Record<string, string> = {}): Promise<ChildProcess> {
  const cwd = mkdtempSync(join(dir, 'cwd-'));
  const child = spawn(binary, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: cwd, HOME: cwd, DROVER_LOG_LEVEL: 'warn', ...env },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (/connected/.test(line)) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`drover-agent exited (${code ?? signal}) before it connected:\n${stderr}`)));
  });
  return child;
}

/** A process's command line, and its environment as it started (from /proc). */
function commandLine(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
}
function environment(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
}

/** The agent's worker processes: pid → command line (from /proc). */
function workers(agentPid: number): Map<number, string> {
  const found = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
      if (ppid !== agentPid) continue;
      found.set(Number(entry), readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' '));
    } catch {
      // The process ended while being read.
    }
  }
  return found;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-agent-binary-'));
  binary = join(dir, 'drover-agent');
  execFileSync(process.execPath, [join(root, 'scripts', 'buildAgentBinary.ts'), '--out', binary], { cwd: root, stdio: 'pipe' });
  const started = await startDrover(['coordinator', '--listen', '127.0.0.1:0'], /listening on (\S+)/);
  coordinator = started.child;
  address = started.match[1]!;
  agent = await startBinaryAgent(['--coordinator', address, '--processes', '2', '--name', 'vm-1', '--work-dir', join(dir, 'work')]);
}, 120_000);

afterAll(async () => {
  if (agent) await stopProcess(agent);
  if (coordinator) await stopProcess(coordinator);
  rmSync(dir, { recursive: true, force: true });
});

describe('the single-executable agent', () => {
  it('prints its version and help without a Node installation', () => {
    const env = { PATH: mkdtempSync(join(dir, 'path-')) };
    expect(execFileSync(binary, ['--version'], { encoding: 'utf8', env }).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(execFileSync(binary, ['--help'], { encoding: 'utf8', env })).toContain('--coordinator <host:port>');
  });

  it('runs with the memory settings `drover agent` gets (same pid, re-executed), and its workers without them', async () => {
    const pid = agent!.pid!;
    expect(commandLine(pid)).toBe(`${binary} --node-options=--max-semi-space-size=4 --heap-growing-percent=150 --coordinator ${address} --processes 2 --name vm-1 --work-dir ${join(dir, 'work')}`);
    expect(environment(pid).some((e) => e.startsWith('GLIBC_TUNABLES=glibc.malloc.mmap_threshold='))).toBe(true);
    const forked = workers(pid);
    expect(forked.size).toBe(2);
    for (const [workerPid, args] of forked) {
      // Its arguments: no RSS ceiling, and its handoff directory in the agent's work directory (WorkerHandoff).
      expect(args).toMatch(new RegExp(`^${escape(`${binary} --drover-sea-worker 0 ${join(dir, 'work')}/handoff-${pid}-`)}\\w{6}$`));
      expect(environment(workerPid).filter((e) => /^(GLIBC_TUNABLES|DROVER_)/.test(e))).toEqual(['DROVER_LOG_LEVEL=warn']);
    }
  });

  it("passes the user's NODE_OPTIONS (which the binary does not read by itself) to the agent and its workers", async () => {
    const other = await startBinaryAgent(['--coordinator', address, '--processes', '1', '--name', 'vm-2'], { NODE_OPTIONS: '--max-old-space-size=300' });
    try {
      expect(commandLine(other.pid!)).toContain('--node-options=--max-semi-space-size=4 --heap-growing-percent=150 --max-old-space-size=300 --coordinator');
      expect([...workers(other.pid!).values()]).toEqual([expect.stringMatching(new RegExp(`^${escape(`${binary} --node-options=--max-old-space-size=300 --drover-sea-worker 0 `)}\\S+/handoff-${other.pid}-\\w{6}$`))]);
    } finally {
      await stopProcess(other);
    }
  }, 30_000);

  it('runs tasks sent through the SDK in its own worker processes', async () => {
    await using pool = await connect({ address });
    const tasks = await pool.load<typeof import('../fixtures/tasks.ts')>(fixtures);
    expect(await pool.map(tasks.square, [1, 2, 3, 4, 5, 6, 7, 8], { chunksize: 2 })).toEqual([1, 4, 9, 16, 25, 36, 49, 64]);
    const where = await pool.map(tasks.whereAmI, [1, 2, 3, 4]);
    expect(new Set(where.map((w) => w.agent))).toEqual(new Set(['vm-1']));
    // Task failures travel back typed, with the remote error's name.
    const failed = await pool.map(tasks.failOn, [1, 2, 3]).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TaskError);
    expect((failed as TaskError).remoteName).toBe('ParseFailure');
  }, 60_000);

  it('runs command tasks: input staged from the blob store, output collected back', async () => {
    await using pool = await connect({ address });
    // The agent's PATH is empty, so the executable is named by its path.
    const r = await pool.exec({ command: '/usr/bin/sort', args: ['in.txt', '-o', 'out.txt'], inputs: { 'in.txt': new TextEncoder().encode('b\nc\na\n') }, outputs: ['out.txt'] });
    expect({ exitCode: r.exitCode, agent: r.agent }).toEqual({ exitCode: 0, agent: 'vm-1' });
    expect((await pool.readBlob(r.outputs['out.txt']!.digest)).toString()).toBe('a\nb\nc\n');
  }, 60_000);

  it('replaces a worker killed for a timeout with a new one, forked from the binary', async () => {
    await using pool = await connect({ address });
    const tasks = await pool.load<typeof import('../fixtures/tasks.ts')>(fixtures);
    const before = workers(agent!.pid!);
    expect(before.size).toBe(2);
    const late = await pool.map(tasks.sleep, [30_000], { timeoutMs: 300, retries: 0 }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(TaskError);
    expect((late as TaskError).kind).toBe('timeout');
    // One worker was killed and replaced: two workers again, one of them new, all of them the binary.
    let after = workers(agent!.pid!);
    while (after.size !== 2 || [...after.keys()].every((pid) => before.has(pid))) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = workers(agent!.pid!);
    }
    expect([...after.keys()].filter((pid) => !before.has(pid))).toHaveLength(1);
    for (const args of after.values()) expect(args).toMatch(new RegExp(`^${escape(`${binary} --drover-sea-worker 0 ${join(dir, 'work')}/handoff-`)}\\d+-\\w{6}$`));
    expect(await pool.map(tasks.square, [1, 2, 3, 4], { chunksize: 1 })).toEqual([1, 4, 9, 16]);
  }, 60_000);

  it('drains on SIGTERM and exits 0', async () => {
    const child = agent!;
    agent = undefined;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});

/** `text` as a literal in a regular expression. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
