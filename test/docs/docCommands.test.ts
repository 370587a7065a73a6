// Every command in the ```sh blocks of README.md, docs/*.md and deploy/**/README.md is checked here:
// `drover …` (also through npx, and the agent binary) against the commander program itself, `npm run …`
// against package.json, files and directories the commands name against the repository, and the rest against
// a list of the outside tools the docs may use. Cheap commands are run for real; the heavy ones are listed
// with the tests that run them (and this checks those tests exist and mention them).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/buildProgram.ts';
import { findUnknownOptions } from '../deploy/findUnknownOptions.ts';
import { extractShellCommands, type ShellCommand } from './extractShellCommands.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const program = buildProgram();
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** The documentation whose commands are checked. */
function docFiles(): string[] {
  const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir))) {
      const path = `${dir}/${entry}`;
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (entry === 'README.md') files.push(path);
    }
  };
  walk('deploy');
  return files;
}

const commands: ShellCommand[] = docFiles().flatMap((f) => extractShellCommands(readFileSync(join(root, f), 'utf8'), f));

/** Outside tools the docs may show (installation, Kubernetes, systemd); they are not drover's to test. */
const OUTSIDE_TOOLS = new Set([
  // setup and operations
  'apt-get', 'install', 'useradd', 'systemctl', 'journalctl', 'openssl', 'helm', 'kubectl', 'docker',
  'curl', 'grpcurl', 'jq', 'sudo',
  // SUMO's own tools
  'sumo', 'netgenerate', 'netconvert', 'duarouter', '/usr/bin/python3',
  // the shell
  'export', 'cat', 'echo', 'cd', 'mkdir', 'cp', 'mv', 'rm', 'ls', 'chmod', 'chown', 'kill', 'sleep', 'base64', 'head', 'tail',
]);

/**
 * The heavy commands, run elsewhere: by the named tests, or by the CI script (.ci/run). Each file listed must
 * exist and contain `mentions`, so a renamed test or a dropped case shows up here.
 */
const COVERED_BY: { command: RegExp; by: string[]; mentions: string }[] = [
  { command: /^npm install$/, by: ['.ci/run'], mentions: 'npm install' },
  { command: /^npm test$/, by: ['.ci/run'], mentions: 'npm test' },
  { command: /^npm run typecheck$/, by: ['.ci/run'], mentions: 'npm run typecheck' },
  // A test run by name is one of the tests `npm test` runs (its files are checked to exist above).
  { command: /^npx vitest run /, by: ['.ci/run'], mentions: 'npm test' },
  { command: /^npm run gen$/, by: ['.ci/run'], mentions: 'npm run gen:check' },
  { command: /^npm run bench:guard$/, by: ['.ci/run'], mentions: 'npm run bench:guard' },
  { command: /^npm run test:faults$/, by: ['test/faults/agentKill.test.ts', 'test/faults/coordinatorKill.test.ts'], mentions: 'kill' },
  { command: /^npm run demo$/, by: ['test/integration/examples/examples.test.ts'], mentions: "example('primes')" },
  { command: /^npm run example:ramp-metering$|^node examples\/ramp-metering\/main\.ts/, by: ['test/integration/examples/examples.test.ts'], mentions: 'ramp-metering' },
  { command: /^node examples\/square\/main\.ts/, by: ['test/integration/examples/examples.test.ts'], mentions: "example('square')" },
  { command: /^drover coordinator |^drover agent /, by: ['test/integration/ProcessCluster.ts'], mentions: "'coordinator', '--listen'" },
  { command: /^drover local /, by: ['test/integration/examples/examples.test.ts'], mentions: "['local', '--listen'" },
  { command: /^drover (status|jobs (ls|show|watch|cancel))\b/, by: ['test/integration/cli/adminCommands.test.ts'], mentions: "'status', '--json'" },
  { command: /^drover map /, by: ['test/integration/cli/adminCommands.test.ts'], mentions: "'map'" },
  { command: /^drover sumo sweep /, by: ['test/integration/cli/sumoSweep.test.ts'], mentions: "'sumo', 'sweep'" },
  { command: /^npm run build:agent$|^dist\/drover-agent /, by: ['test/deploy/agentBinary.test.ts'], mentions: 'buildAgentBinary.ts' },
  { command: /^node scripts\/generateSdkReference\.ts$/, by: ['test/docs/sdkReference.test.ts'], mentions: 'generateSdkReference' },
];

/** `drover …` however the docs invoke it: npx, the agent binary (whose options are `drover agent`'s). */
function droverArgv(c: ShellCommand): string[] | undefined {
  const [first, ...rest] = c.argv;
  if (first === 'npx' && rest[0] === 'drover') return rest.slice(1);
  if (first === 'drover') return rest;
  if (first === 'dist/drover-agent' || first === 'drover-agent' || first === '/usr/local/bin/drover-agent') return ['agent', ...rest];
  return undefined;
}

/** The command as COVERED_BY matches it: `drover …` normalised, anything else as written. */
function normalised(c: ShellCommand): string {
  const drover = droverArgv(c);
  if (drover && c.argv[0]!.includes('drover-agent')) return ['dist/drover-agent', ...drover.slice(1)].join(' ');
  return drover ? ['drover', ...drover].join(' ') : c.argv.join(' ');
}

it('finds the commands of every documentation page', () => {
  const pages = new Set(commands.map((c) => c.where.split(':')[0]));
  for (const page of ['README.md', 'docs/deployment.md', 'docs/sumo.md', 'deploy/vm/README.md', 'deploy/docker/README.md']) expect(pages).toContain(page);
  expect(commands.length).toBeGreaterThan(30);
});

describe.each(commands.map((c) => [`${c.where} ${c.text}`, c] as const))('%s', (_title, c) => {
  it('names a command that exists, with options it has', () => {
    const drover = droverArgv(c);
    const [first, second] = c.argv;
    if (drover) {
      expect(findUnknownOptions(program, drover)).toEqual([]);
    } else if (first === 'npm') {
      if (second === 'run') expect(Object.keys(scripts), 'package.json script').toContain(c.argv[2]);
      else expect(['install', 'test', 'ci']).toContain(second);
    } else if (first === 'npx' && second === 'vitest') {
      expect(c.argv[2], 'npx vitest run <test files>').toBe('run');
    } else if (first === 'node') {
      expect(existsSync(join(root, second!)), `${second} exists`).toBe(true);
    } else {
      expect(OUTSIDE_TOOLS.has(first!), `"${first}" is drover, npm, node, or a known outside tool`).toBe(true);
    }
    // Repository paths the command names exist (deploy/…, examples/…, scripts/…).
    for (const word of c.argv) {
      const path = word.replace(/^[\w.-]+=/, '');
      if (/^(deploy|examples|scripts|docs|test)\//.test(path)) expect(existsSync(join(root, path)), `${path} exists`).toBe(true);
    }
    if (first === 'docker' && second === 'build') {
      const dockerfile = readFileSync(join(root, c.argv[c.argv.indexOf('-f') + 1]!), 'utf8');
      expect(dockerfile).toMatch(new RegExp(`^FROM \\S+ AS ${c.argv[c.argv.indexOf('--target') + 1]}$`, 'm'));
    }
  });

  const drover = droverArgv(c);
  if (drover || c.argv[0] === 'npm' || c.argv[0] === 'node' || c.argv[0] === 'npx') {
    it('is run here or by a named test', () => {
      const text = normalised(c);
      if (CHEAP.some((cheap) => cheap.test(text))) return; // run below
      const covered = COVERED_BY.find((entry) => entry.command.test(text));
      expect(covered, `nothing runs "${text}": run it in docCommands.test.ts or name what does in COVERED_BY`).toBeDefined();
      for (const file of covered!.by) {
        const path = join(root, file);
        expect(existsSync(path), `${file} exists`).toBe(true);
        expect(readFileSync(path, 'utf8')).toContain(covered!.mentions);
      }
    });
  }
});

/** Commands cheap enough to run here, as the docs show them. */
const CHEAP = [/^drover run /];

describe('the cheap commands, run', () => {
  it('drover run stages a file, runs the command on an agent and collects its output', () => {
    const shown = commands.find((c) => droverArgv(c)?.[0] === 'run');
    expect(shown, 'the README shows drover run').toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'drover-doc-run-'));
    try {
      const argv = droverArgv(shown!)!;
      // The docs' input is a file of the repository root: give the scratch directory a copy.
      for (const w of argv) {
        const m = w.match(/^[\w.-]+=\.\/(.+)$/);
        if (m) copyFileSync(join(root, m[1]!), join(dir, m[1]!));
      }
      execFileSync(process.execPath, [join(root, 'bin', 'drover.js'), ...argv], {
        cwd: dir,
        env: { ...process.env, DROVER_ADDRESS: '', DROVER_LOG_LEVEL: 'warn' },
        stdio: 'pipe',
        timeout: 60_000,
      });
      // `sort in.txt -o out.txt` ran on an agent: out.txt came back with the input's lines, reordered.
      const input = readFileSync(join(dir, argv.find((w) => /^[\w.-]+=\.\//.test(w))!.split('=./')[1]!), 'utf8');
      const output = readFileSync(join(dir, 'out.txt'), 'utf8');
      expect(output.split('\n').sort()).toEqual(input.split('\n').sort());
      expect(output).not.toBe(input);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

it('links only to pages that exist', () => {
  for (const file of docFiles()) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/.test(target)) continue;
      const path = relative(root, join(root, file, '..', target));
      expect(existsSync(join(root, path)), `${file} links to ${target}`).toBe(true);
    }
  }
});
