// drover as a dependency: `npm pack` of this checkout, laid out under a project's node_modules as
// `npm install` would (its dependencies linked from this checkout's node_modules, so no registry is
// needed), then a plain JavaScript script runs a job on the embedded cluster. Node strips no types
// under node_modules, so this passes only if the package's exports, CLI and agent workers are the
// JavaScript that `prepack` (scripts/buildDist.ts) builds. A TypeScript project then type-checks
// against the package's declarations under common settings (no `allowImportingTsExtensions`).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };

describe('the packed package, installed', () => {
  let dir = '';
  let project = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'drover-package-'));
    // `npm pack` runs `prepack`, which builds dist/ from the current sources.
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as Array<{ filename: string }>;
    execFileSync('tar', ['-xzf', join(dir, packed[0]!.filename), '-C', dir]);
    project = join(dir, 'project');
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    renameSync(join(dir, 'package'), join(project, 'node_modules', 'drover'));
    for (const name of Object.keys(pkg.dependencies)) {
      const link = join(project, 'node_modules', name);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(join(root, 'node_modules', name), link);
    }
    writeFileSync(join(project, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      join(project, 'tasks.mjs'),
      "import { context } from 'drover/task';\n" +
        'export function square(x) { return { square: x * x, worker: context.worker, entry: process.argv[1] }; }\n',
    );
    writeFileSync(
      join(project, 'main.mjs'),
      "import { connect } from 'drover';\n" +
        'await using pool = await connect({ processes: 2 });\n' +
        "const tasks = await pool.load(new URL('./tasks.mjs', import.meta.url));\n" +
        'console.log(JSON.stringify(await pool.map(tasks.square, [1, 2, 3, 4], { chunksize: 1 })));\n',
    );
    // What a TypeScript user of the package writes, and a tsconfig many projects have.
    writeFileSync(
      join(project, 'typed.ts'),
      "import { connect, TaskError, type Pool } from 'drover';\n" +
        "import { context } from 'drover/task';\n" +
        "import { runSumo, type SumoStatistics } from 'drover/sumo';\n" +
        'export function double(x: number): number { return x * 2 + context.attempt * 0; }\n' +
        'export async function run(): Promise<number[]> {\n' +
        '  const pool: Pool = await connect({ processes: 2 });\n' +
        "  const tasks = await pool.load<{ double: typeof double }>(new URL('./typed.ts', import.meta.url));\n" +
        '  const doubled: number[] = await pool.map(tasks.double, [1, 2]);\n' +
        '  // @ts-expect-error: map resolves to numbers here, and the declarations say so.\n' +
        '  const wrong: string[] = await pool.map(tasks.double, [1, 2]);\n' +
        '  const stats: SumoStatistics | undefined = undefined;\n' +
        '  void wrong; void stats; void runSumo; void TaskError;\n' +
        '  return doubled;\n' +
        '}\n',
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
        files: ['typed.ts'],
      }),
    );
    mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
    symlinkSync(join(root, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'));
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships the built JavaScript its exports, bin and workers name', () => {
    const installed = join(project, 'node_modules', 'drover');
    for (const file of ['dist/lib/sdk.mjs', 'dist/lib/task.mjs', 'dist/lib/sumo.mjs', 'dist/types/sdk/index.d.ts', 'dist/worker.mjs', 'dist/drover.mjs', 'bin/drover.js', 'proto/drover/v1/jobs.proto']) {
      expect(() => readFileSync(join(installed, file)), file).not.toThrow();
    }
  });

  it('runs a job from a plain JavaScript script, with workers forked from the bundled worker', () => {
    const out = execFileSync(process.execPath, ['main.mjs'], { cwd: project, encoding: 'utf8', env: { ...process.env, DROVER_ADDRESS: '', DROVER_LOG_LEVEL: 'warn' } });
    const results = JSON.parse(out.trim().split('\n').at(-1)!) as Array<{ square: number; worker: string; entry: string }>;
    expect(results.map((r) => r.square)).toEqual([1, 4, 9, 16]);
    for (const r of results) expect(r.entry).toBe(join(project, 'node_modules', 'drover', 'dist', 'worker.mjs'));
  }, 60_000);

  it('loads no logger or metrics library on import: those come with an embedded cluster (or a coordinator or agent)', () => {
    // CommonJS packages the SDK loads appear in require.cache; pino and prom-client must not be among them.
    const script =
      "import { createRequire } from 'node:module';\n" +
      "await import('drover');\n" +
      "const loaded = Object.keys(createRequire(import.meta.url).cache).map((f) => f.split('/node_modules/').at(-1).split('/')[0]);\n" +
      'console.log(JSON.stringify([...new Set(loaded)].sort()));\n';
    writeFileSync(join(project, 'importOnly.mjs'), script);
    const loaded = JSON.parse(execFileSync(process.execPath, ['importOnly.mjs'], { cwd: project, encoding: 'utf8' }).trim()) as string[];
    expect(loaded).toContain('@grpc');
    expect(loaded).not.toContain('pino');
    expect(loaded).not.toContain('prom-client');
  });

  it('type-checks a TypeScript project against its declarations', () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    // (The sources, taken as types, failed here on their `.ts` import paths.)
    const run = spawnSync(process.execPath, [tsc, '-p', project], { cwd: project, encoding: 'utf8' });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  }, 60_000);

  it('runs its CLI from the bundle', () => {
    const out = execFileSync(process.execPath, [join(project, 'node_modules', 'drover', 'bin', 'drover.js'), '--version'], { cwd: project, encoding: 'utf8', env: { ...process.env, DROVER_FROM_SOURCE: '' } });
    expect(out.trim()).toBe(pkg.version);
  });
});
