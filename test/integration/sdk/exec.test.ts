// Command tasks: an executable on an agent, inputs staged into a fresh scratch dir, outputs collected back.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, TaskError, type Pool } from '../../../src/sdk/index.ts';
import { ProcessCluster } from '../ProcessCluster.ts';

let cluster: ProcessCluster;
let pool: Pool;
let dir: string;

beforeAll(async () => {
  cluster = await ProcessCluster.start({ agents: 1, processes: 2 });
  pool = await connect({ address: cluster.address });
  dir = await mkdtemp(join(tmpdir(), 'drover-exec-'));
});

afterAll(async () => {
  await pool?.close();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('pool.exec', () => {
  it('stages inputs, runs the command in a scratch dir, returns exit code, tails and outputs', async () => {
    await writeFile(join(dir, 'words.txt'), 'b\na\nc\n');
    const r = await pool.exec({
      command: 'sh',
      args: ['-c', 'sort data/words.txt > sorted.txt; echo sorted; echo warn >&2; pwd; exit 3'],
      inputs: { 'data/words.txt': join(dir, 'words.txt') },
      outputs: ['sorted.txt', 'never-written.txt'],
    });
    expect(r.exitCode).toBe(3);
    expect(r.signal).toBe(null);
    expect(r.stdoutTail).toMatch(/^sorted\n/);
    expect(r.stderrTail).toBe('warn\n');
    expect(r.missingOutputs).toEqual(['never-written.txt']);
    expect((await pool.readBlob(r.outputs['sorted.txt']!.digest)).toString()).toBe('a\nb\nc\n');
    await pool.downloadBlob(r.outputs['sorted.txt']!.digest, join(dir, 'out.txt'));
    expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe('a\nb\nc\n');
    // Each run gets a fresh scratch dir, removed afterwards.
    const cwd = r.stdoutTail.split('\n')[1]!;
    const again = await pool.exec({ command: 'sh', args: ['-c', `pwd; test -e "${cwd}" && echo stale || echo gone`] });
    expect(again.stdoutTail.split('\n')[0]).not.toBe(cwd);
    expect(again.stdoutTail).toContain('gone');
  });

  it('passes env and bytes inputs, and check: true turns a failure into a TaskError', async () => {
    const r = await pool.exec({ command: 'sh', args: ['-c', 'cat in.bin; printf "$GREETING"'], env: { GREETING: 'hi' }, inputs: { 'in.bin': new TextEncoder().encode('x:') } });
    expect(r.stdoutTail).toBe('x:hi');
    const err = await pool.exec({ command: 'false', check: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskError);
    expect((err as TaskError).remoteCode).toBe('DROVER_COMMAND_FAILED');
  });

  it('refuses input and output paths that leave the scratch directory', async () => {
    await writeFile(join(dir, 'x.txt'), 'x');
    await expect(pool.exec({ command: 'true', inputs: { '../escape.txt': join(dir, 'x.txt') } })).rejects.toThrow(/leaves the task's scratch directory/);
    await expect(pool.exec({ command: 'true', inputs: { '/etc/evil': join(dir, 'x.txt') } })).rejects.toThrow(/absolute/);
    await expect(pool.exec({ command: 'sh', args: ['-c', 'ln -s /etc/passwd leak'], outputs: ['leak'] })).rejects.toThrow(/not a regular file/);
    await expect(pool.exec({ command: 'sh', args: ['-c', 'ln -s /etc up'], outputs: ['up/passwd'] })).rejects.toThrow(/resolves outside/);
  });

  it('kills the command with its task on timeout', async () => {
    const started = Date.now();
    const err = await pool.exec({ command: 'sleep', args: ['30'] }, { timeoutMs: 500, retries: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskError);
    expect((err as TaskError).kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('runs many commands with execMany', async () => {
    const specs = [1, 2, 3, 4].map((n) => ({ command: 'sh', args: ['-c', `echo ${n * n}`] }));
    const out: number[] = [];
    for await (const r of pool.execMany(specs)) out.push(Number(r.stdoutTail.trim()));
    expect(out.sort((a, b) => a - b)).toEqual([1, 4, 9, 16]);
  });
});
