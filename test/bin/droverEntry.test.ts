// bin/drover.js: the long-running commands re-execute themselves in place with memory settings, and
// an esbuild bundle of the CLI (scripts/buildDist.ts) runs a real job like the sources do.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { longRunningSettings } from '../../src/cli/longRunningSettings.js';
import { connect, TaskError } from '../../src/sdk/index.ts';
import { stopProcess } from '../integration/ProcessCluster.ts';

const droverBin = fileURLToPath(new URL('../../bin/drover.js', import.meta.url));
const buildDist = fileURLToPath(new URL('../../scripts/buildDist.ts', import.meta.url));
const distDir = fileURLToPath(new URL('../../dist/', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => stopProcess(c)));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Starts `node [nodeFlags] script args` and resolves with the first stdout line matching `ready`. */
async function start(nodeFlags: string[], script: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(process.execPath, [...nodeFlags, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DROVER_LOG_LEVEL: 'warn' } });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (ready.test(line)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${script} ${args.join(' ')} exited ${code}:\n${stderr}`)));
  });
  return { child, lines };
}

const cmdline = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
const environ = (pid: number): string[] => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');

describe.skipIf(process.platform !== 'linux')('bin/drover.js', () => {
  it('re-executes a coordinator in place (same pid) with its memory flags and a fixed mmap threshold', async () => {
    const { child } = await start([], droverBin, ['coordinator', '--listen', '127.0.0.1:0'], /listening on/);
    const argv = cmdline(child.pid!);
    expect(argv).toContain('--max-semi-space-size=4');
    expect(argv).toContain('--heap-growing-percent=150');
    expect(argv.slice(-3)).toEqual(['coordinator', '--listen', '127.0.0.1:0']);
    // (glibc cuts the variable at its first ':' in place while parsing it, so only the first tunable shows.)
    expect(environ(child.pid!)).toContain('GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432');
  });

  it('hands glibc its mmap and trim thresholds, unless GLIBC_TUNABLES is the user\'s own', () => {
    const ours = longRunningSettings([], { PATH: '/bin' })!;
    expect(ours.env.GLIBC_TUNABLES!.split(':')).toEqual(['glibc.malloc.mmap_threshold=33554432', 'glibc.malloc.trim_threshold=131072']);
    expect(ours.env.DROVER_OWN_MALLOC_TUNABLES).toBe('1');
    const theirs = longRunningSettings([], { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' })!;
    expect(theirs.env.GLIBC_TUNABLES).toBe('glibc.malloc.arena_max=2');
    expect(theirs.env.DROVER_OWN_MALLOC_TUNABLES).toBeUndefined();
  });

  it('keeps the user\'s own flags', async () => {
    const { child } = await start(['--max-semi-space-size=16', '--heap_growing_percent=0'], droverBin, ['coordinator', '--listen', '127.0.0.1:0'], /listening on/);
    const argv = cmdline(child.pid!);
    expect(argv).toContain('--max-semi-space-size=16');
    expect(argv).not.toContain('--max-semi-space-size=4');
    expect(argv).not.toContain('--heap-growing-percent=150');
  });
});

describe('scripts/buildDist.ts', () => {
  it('bundles a CLI whose `drover local` runs a job on the bundled worker (task bundling, proto files found from the bundle)', async () => {
    // Inside the checkout, as dist/drover.mjs is: the bundle imports the packages from node_modules.
    mkdirSync(distDir, { recursive: true });
    const dir = mkdtempSync(join(distDir, 'test-'));
    dirs.push(dir);
    const bundle = join(dir, 'drover.mjs');
    // A chunk of an earlier build: the library's chunks are hash-named, so only a clean lib/ drops it.
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'lib', 'chunk-STALE0.mjs'), 'export {};\n');
    execFileSync(process.execPath, [buildDist, dir], { stdio: 'inherit' });
    const lib = readdirSync(join(dir, 'lib'));
    expect(lib).not.toContain('chunk-STALE0.mjs');
    // Every chunk left is imported by an entry or another chunk: nothing unused ships.
    const sources = lib.map((f) => readFileSync(join(dir, 'lib', f), 'utf8')).join('\n');
    for (const chunk of lib.filter((f) => f.startsWith('chunk-'))) expect(sources).toContain(`./${chunk}`);
    const { lines } = await start([], bundle, ['local', '--listen', '127.0.0.1:0', '--processes', '1'], /listening on/);
    const address = lines.join('\n').match(/listening on (\S+)/)![1]!;
    const tokenFile = lines.join('\n').match(/DROVER_TOKEN_FILE=(\S+)/)?.[1];
    const pool = await connect({ address, ...(tokenFile ? { token: readFileSync(tokenFile, 'utf8').trim() } : {}) });
    try {
      const tasks = await pool.load<typeof import('../fixtures/tasks.ts')>(new URL('../fixtures/tasks.ts', import.meta.url));
      expect(await pool.map(tasks.square, [1, 2, 3, 4])).toEqual([1, 4, 9, 16]);
      // The agent forked the bundled worker, not the TypeScript sources.
      expect(await pool.apply(tasks.workerEntry)).toBe(join(dir, 'worker.mjs'));
      // A task's stack ends at the task's own frames, without the bundled worker's.
      const error = await pool.apply(tasks.failOn, 3).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskError);
      expect((error as TaskError).remoteStack).toContain('failOn');
      expect((error as TaskError).remoteStack).not.toContain('worker.mjs');
    } finally {
      await pool.close();
    }
  });
});

describe('bin/drover.js bundle staleness', () => {
  /** A checkout in miniature: bin/drover.js, package.json, src/ with a CLI entry, and a built dist/drover.mjs. */
  function checkout(): { root: string; run(): string } {
    const root = mkdtempSync(join(tmpdir(), 'drover-entry-'));
    dirs.push(root);
    for (const d of ['bin', 'dist', 'src/cli', 'src/sumo']) mkdirSync(join(root, d), { recursive: true });
    copyFileSync(droverBin, join(root, 'bin/drover.js'));
    copyFileSync(fileURLToPath(new URL('../../src/cli/longRunningSettings.js', import.meta.url)), join(root, 'src/cli/longRunningSettings.js'));
    writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
    writeFileSync(join(root, 'src/cli/main.ts'), "process.stdout.write('sources\\n');\n");
    writeFileSync(join(root, 'src/sumo/index.ts'), 'export {};\n');
    // Every source an hour old, the bundle built after them.
    const old = new Date(Date.now() - 3_600_000);
    for (const p of ['package.json', 'src/cli/main.ts', 'src/cli/longRunningSettings.js', 'src/sumo/index.ts', 'src/cli', 'src/sumo', 'src']) utimesSync(join(root, p), old, old);
    writeFileSync(join(root, 'dist/drover.mjs'), "process.stdout.write('bundle\\n');\n");
    const built = new Date(Date.now() - 1_800_000);
    utimesSync(join(root, 'dist/drover.mjs'), built, built);
    return { root, run: () => execFileSync(process.execPath, [join(root, 'bin/drover.js'), 'status'], { encoding: 'utf8', env: { ...process.env, DROVER_FROM_SOURCE: '' } }).trim() };
  }

  it('runs the bundle while it is newer than every source', () => {
    expect(checkout().run()).toBe('bundle');
  });

  it('runs the sources again once a file under src/ changed', () => {
    const { root, run } = checkout();
    writeFileSync(join(root, 'src/cli/main.ts'), "process.stdout.write('sources\\n');\n");
    expect(run()).toBe('sources');
  });

  it('runs the sources again once a folder was deleted from src/ (only src/ itself records that)', () => {
    const { root, run } = checkout();
    rmSync(join(root, 'src/sumo'), { recursive: true });
    expect(run()).toBe('sources');
  });
});
