// `drover status`, `jobs ls|show|watch|cancel` and `map` run as real processes against a coordinator
// and an agent that are separate processes too; exit codes as documented in docs/cli.md.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usePoolOnCluster } from '../usePoolOnCluster.ts';

const droverBin = fileURLToPath(new URL('../../../bin/drover.js', import.meta.url));
const tasksModule = fileURLToPath(new URL('../../fixtures/tasks.ts', import.meta.url));

/** Runs `drover <args>`; resolves with its exit code and output whatever the code. */
function drover(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [droverBin, ...args], {
      timeout: 60_000,
      env: { ...process.env, DROVER_LOG_LEVEL: 'warn', DROVER_ADDRESS: '', DROVER_TOKEN: '', ...env },
    }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const env = usePoolOnCluster({ agents: 1, processes: 2 });
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drover-cli-admin-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('drover status', () => {
  it('--json reports the agent with its capacity and free slots, and cluster totals', async () => {
    const { code, stdout } = await drover(['status', '--json', '--coordinator', env.cluster.address]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.coordinator).toBe(env.cluster.address);
    expect(report.totals).toMatchObject({ agents: 1, slots: 2, slotsFree: 2, tasksRunning: 0 });
    expect(report.agents).toHaveLength(1);
    expect(report.agents[0]).toMatchObject({ name: 'agent-1', running: 0, slotsFree: 2, capacity: { slots: 2 } });
    expect(report.agents[0].capacity.cpus).toBeGreaterThan(0);
    expect(report.agents[0].capacity.memoryMb).toBeGreaterThan(0);
  });

  it('prints a table for people, reading the address from DROVER_ADDRESS', async () => {
    const { code, stdout } = await drover(['status'], { DROVER_ADDRESS: env.cluster.address });
    expect(code).toBe(0);
    expect(stdout).toMatch(/1 agent, 2 slots \(2 free\)/);
    expect(stdout).toMatch(/^AGENT\s+CORES\s+MEMORY\s+SUMO\s+SLOTS/m);
    expect(stdout).toMatch(/^agent-1\s/m);
  });

  it('exits 3 when no coordinator answers, and 2 on a bad flag', async () => {
    const unreachable = await drover(['status', '--coordinator', '127.0.0.1:1']);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/could not reach a drover coordinator at 127\.0\.0\.1:1/);
    expect((await drover(['status', '--no-such-flag'])).code).toBe(2);
    expect((await drover(['status', '--coordinator', 'nonsense'])).code).toBe(2);
    expect((await drover(['status', '--token-file', join(dir, 'missing-token')])).code).toBe(2);
  });
});

describe('drover map', () => {
  it('maps a task over JSON lines and writes results in input order', async () => {
    const input = join(dir, 'numbers.jsonl');
    const output = join(dir, 'squares.jsonl');
    const numbers = Array.from({ length: 25 }, (_, i) => i);
    await writeFile(input, numbers.map((n) => JSON.stringify(n)).join('\n') + '\n\n');
    const { code, stderr } = await drover(['map', `${tasksModule}#square`, '--input', input, '--output', output, '--chunksize', '3', '--coordinator', env.cluster.address]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = (await readFile(output, 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(numbers.map((n) => n * n));
  });

  it('passes objects through and --unordered writes every result', async () => {
    const input = join(dir, 'objects.jsonl');
    const output = join(dir, 'echo.jsonl');
    const items = Array.from({ length: 8 }, (_, i) => ({ id: i, tags: ['a', String(i)], nested: { ok: i % 2 === 0 } }));
    await writeFile(input, items.map((o) => JSON.stringify(o)).join('\n'));
    const { code } = await drover(['map', `${tasksModule}#echo`, '--input', input, '--output', output, '--unordered', '--coordinator', env.cluster.address]);
    expect(code).toBe(0);
    const results = (await readFile(output, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(results.sort((a, b) => a.id - b.id)).toEqual(items);
  });

  it('exits 1 on a failing item: the results before it are written, the remote error is on stderr', async () => {
    const input = join(dir, 'fail.jsonl');
    const output = join(dir, 'fail-out.jsonl');
    await writeFile(input, '1\n2\n3\n4\n');
    const { code, stderr } = await drover(['map', `${tasksModule}#failOn`, '--input', input, '--output', output, '--coordinator', env.cluster.address]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/item 2 \(line 3 of the input/);
    expect(stderr).toMatch(/\[error\]/);
    expect(stderr).toMatch(/ParseFailure: cannot handle 3/);
    expect((await readFile(output, 'utf8')).trimEnd().split('\n')).toEqual(['1', '2']);
  });

  it('names the failing item\'s own line when blank lines come before it', async () => {
    const input = join(dir, 'fail-blank.jsonl');
    await writeFile(input, '1\n\n2\n\n\n3\n4\n');
    const { code, stderr } = await drover(['map', `${tasksModule}#failOn`, '--input', input, '--output', join(dir, 'fail-blank-out.jsonl'), '--coordinator', env.cluster.address]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/item 2 \(line 6 of the input/);
  });

  it('stops quietly when the reader of stdout goes away (`drover map | head -1`): no stack, exit 1', async () => {
    const input = join(dir, 'many.jsonl');
    await writeFile(input, Array.from({ length: 20_000 }, (_, i) => String(i)).join('\n'));
    const child = spawn(process.execPath, [droverBin, 'map', `${tasksModule}#square`, '--input', input, '--chunksize', '500', '--coordinator', env.cluster.address], {
      env: { ...process.env, DROVER_LOG_LEVEL: 'warn', DROVER_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Read the first chunk of results, then close the pipe as `head` does.
    await once(child.stdout, 'data');
    child.stdout.destroy();
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/the reader of stdout closed it.*\[DROVER_OUTPUT_CLOSED\]/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('reads stdin and writes stdout by default', async () => {
    const child = execFile(process.execPath, [droverBin, 'map', `${tasksModule}#square`, '--coordinator', env.cluster.address], {
      env: { ...process.env, DROVER_LOG_LEVEL: 'warn' },
    });
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stdin!.end('2\n3\n');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(stdout).toBe('4\n9\n');
  });

  it('Ctrl-C (SIGINT) cancels its job on the coordinator and exits 130', async () => {
    const input = join(dir, 'long.jsonl');
    await writeFile(input, Array.from({ length: 10 }, () => '3000').join('\n'));
    const child = execFile(process.execPath, [droverBin, 'map', `${tasksModule}#sleep`, '--input', input, '--output', join(dir, 'long-out.jsonl'), '--coordinator', env.cluster.address], {
      env: { ...process.env, DROVER_LOG_LEVEL: 'warn' },
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let jobId: string | undefined;
    for (let i = 0; i < 100 && jobId === undefined; i++) {
      const open = JSON.parse((await drover(['jobs', 'ls', '--state', 'open', '--json', '--coordinator', env.cluster.address])).stdout || '[]');
      jobId = open.find((j: { name: string; tasksRunning: number }) => j.name === 'imap sleep' && j.tasksRunning > 0)?.jobId;
      if (jobId === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(jobId).toBeDefined();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/interrupted; the job was cancelled/);
    const show = await drover(['jobs', 'show', jobId!, '--json', '--coordinator', env.cluster.address]);
    expect(JSON.parse(show.stdout)).toMatchObject({ jobId, state: 'cancelled' });
  });

  it('without a coordinator runs a .mjs module on a local cluster it starts itself', async () => {
    const module = join(dir, 'plain.mjs');
    await writeFile(module, 'export function describe(item) { return `${item.name}:${item.n * 2}`; }\n');
    const input = join(dir, 'plain.jsonl');
    await writeFile(input, '{"name":"a","n":1}\n{"name":"b","n":2}\n');
    const output = join(dir, 'plain-out.jsonl');
    const { code, stderr } = await drover(['map', `${module}#describe`, '--input', input, '--output', output, '--processes', '1']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(await readFile(output, 'utf8')).toBe('"a:2"\n"b:4"\n');
  });

  it('exits 2 for a bad target, an unknown export, or a line that is not JSON', async () => {
    const input = join(dir, 'bad.jsonl');
    await writeFile(input, '1\n{oops\n');
    const noHash = await drover(['map', tasksModule, '--input', input, '--coordinator', env.cluster.address]);
    expect(noHash.code).toBe(2);
    expect(noHash.stderr).toMatch(/expected MODULE#export/);
    const unknown = await drover(['map', `${tasksModule}#nope`, '--input', input, '--coordinator', env.cluster.address]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/has no export named nope/);
    const notJson = await drover(['map', `${tasksModule}#square`, '--input', input, '--output', join(dir, 'bad-out.jsonl'), '--coordinator', env.cluster.address]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/line 2 is not JSON/);
    const missing = await drover(['map', `${tasksModule}#square`, '--input', join(dir, 'missing.jsonl'), '--coordinator', env.cluster.address]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read --input/);
  });
});

describe('drover jobs', () => {
  it('ls and show report a finished job; show of an unknown id exits 5', async () => {
    const job = env.pool.mapAsync(env.tasks.square, [1, 2, 3, 4], { chunksize: 1 });
    await job.result();
    const ls = await drover(['jobs', 'ls', '--json', '--coordinator', env.cluster.address]);
    expect(ls.code).toBe(0);
    const listed = JSON.parse(ls.stdout).find((j: { jobId: string }) => j.jobId === job.id);
    expect(listed).toMatchObject({ state: 'completed', tasksCompleted: 4, tasksFailed: 0, totalTasks: 4 });

    const table = await drover(['jobs', 'ls', '--state', 'completed', '--coordinator', env.cluster.address]);
    expect(table.stdout).toMatch(new RegExp(`^${job.id}\\s+\\S.*completed\\s+4/4\\s`, 'm'));

    const show = await drover(['jobs', 'show', job.id, '--json', '--coordinator', env.cluster.address]);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ jobId: job.id, state: 'completed', tasksCompleted: 4 });
    const human = await drover(['jobs', 'show', job.id, '--coordinator', env.cluster.address]);
    expect(human.stdout).toMatch(/^state:\s+completed$/m);

    const unknown = await drover(['jobs', 'show', 'j-nope', '--coordinator', env.cluster.address]);
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toMatch(/no job with id "j-nope"/);
    expect((await drover(['jobs', 'ls', '--state', 'weird', '--coordinator', env.cluster.address])).code).toBe(2);
  });

  it('watch follows a running job to its end and exits 0; failures by kind show up, and exit 1', async () => {
    const job = env.pool.mapAsync(env.tasks.sleep, Array.from({ length: 8 }, () => 250), { chunksize: 1 });
    const watched = await drover(['jobs', 'watch', job.id, '--interval', '100', '--coordinator', env.cluster.address]);
    expect(watched.stderr).toMatch(new RegExp(`${job.id} .*8/8 `));
    expect(watched.stderr).toMatch(/completed: 8 succeeded, 0 failed/);
    expect(watched.code).toBe(0);
    expect(await job.result()).toHaveLength(8);

    const failing = env.pool.mapAsync(env.tasks.failOn, [1, 2, 3], { chunksize: 1 });
    await failing.result().catch(() => undefined);
    const failed = await drover(['jobs', 'watch', failing.id, '--json', '--coordinator', env.cluster.address]);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ jobId: failing.id, tasksFailed: 1, failuresByKind: { error: 1 } });
  });

  it('cancel stops a running job (its client sees CancelledError) and watch of it exits 6', async () => {
    const job = env.pool.mapAsync(env.tasks.sleep, Array.from({ length: 20 }, () => 2000), { chunksize: 1 });
    const rejected = job.result().then(() => 'resolved', (err: Error) => err.name);
    // Wait until it runs, so the cancel has running tasks to stop.
    for (let i = 0; i < 100; i++) {
      const s = JSON.parse((await drover(['jobs', 'show', job.id, '--json', '--coordinator', env.cluster.address])).stdout || '{}');
      if (s.tasksRunning > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const cancel = await drover(['jobs', 'cancel', job.id, '--json', '--coordinator', env.cluster.address]);
    expect(cancel.code).toBe(0);
    expect(JSON.parse(cancel.stdout)).toMatchObject({ jobId: job.id, cancelled: true, state: 'cancelled' });
    expect(await rejected).toBe('AbortError');
    const watched = await drover(['jobs', 'watch', job.id, '--coordinator', env.cluster.address]);
    expect(watched.code).toBe(6);
    const again = await drover(['jobs', 'cancel', job.id, '--coordinator', env.cluster.address]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/had already ended \(cancelled\)/);
  });
});
