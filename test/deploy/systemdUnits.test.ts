// The systemd units in deploy/vm: valid for systemd (`systemd-analyze verify`, when the machine has it),
// running drover with options the CLI has, and set up to drain the agent rather than kill its tasks.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/buildProgram.ts';
import { findUnknownOptions } from './findUnknownOptions.ts';
import { knownEnvironmentVariables } from './knownEnvironmentVariables.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const program = buildProgram();
const knownEnv = knownEnvironmentVariables(program, join(root, 'src'));
const hasSystemdAnalyze = (() => {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** `Key=value` settings of a unit file, by key (a key may repeat). */
function settings(text: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = line.match(/^([A-Za-z]+)=(.*)$/);
    if (m) map.set(m[1]!, [...(map.get(m[1]!) ?? []), m[2]!]);
  }
  return map;
}

const units = {
  'drover-agent.service': { binary: '/usr/local/bin/drover-agent', droverArgs: (exec: string[]) => ['agent', ...exec.slice(1)] },
  'drover-coordinator.service': { binary: '/opt/drover/node_modules/.bin/node', droverArgs: (exec: string[]) => exec.slice(2) },
};

describe.each(Object.entries(units))('deploy/vm/%s', (file, unit) => {
  const text = readFileSync(join(root, 'deploy', 'vm', file), 'utf8');
  const s = settings(text);

  it('runs drover with options the CLI has', () => {
    const exec = s.get('ExecStart')![0]!.split(/\s+/);
    expect(exec[0]).toBe(unit.binary);
    expect(findUnknownOptions(program, unit.droverArgs(exec))).toEqual([]);
  });

  it('names only environment variables drover reads', () => {
    const named = [...text.matchAll(/\bDROVER_[A-Z0-9_]+\b/g)].map((m) => m[0]);
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(knownEnv.has(name), name).toBe(true);
  });

  it('runs as a dedicated user, restarts on failure, stops with SIGTERM and time to drain, hardened', () => {
    expect(s.get('User')).toEqual(['drover']);
    expect(s.get('Restart')).toEqual(['on-failure']);
    expect(s.get('KillSignal')).toEqual(['SIGTERM']);
    expect(s.get('NoNewPrivileges')).toEqual(['yes']);
    expect(s.get('ProtectSystem')).toEqual(['strict']);
    expect(s.get('CapabilityBoundingSet')).toEqual(['']);
    expect(s.get('EnvironmentFile')?.length).toBe(1);
  });

  it.skipIf(!hasSystemdAnalyze)('passes systemd-analyze verify', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-units-'));
    try {
      // verify wants the executable and the environment file to exist: point at stand-ins, change nothing else.
      const copy = text.replace(`ExecStart=${unit.binary}`, 'ExecStart=/bin/true').replace(/^EnvironmentFile=/m, 'EnvironmentFile=-');
      writeFileSync(join(dir, file), copy);
      const result = spawnSync('systemd-analyze', ['verify', join(dir, file)], { encoding: 'utf8' });
      // Warnings (unknown settings, bad values) go to stderr even when the exit status is 0.
      expect({ status: result.status, stderr: result.stderr.trim() }).toEqual({ status: 0, stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

it('the agent unit signals only the agent, which drains, and waits long enough for that', () => {
  const s = settings(readFileSync(join(root, 'deploy', 'vm', 'drover-agent.service'), 'utf8'));
  // KillMode=mixed: SIGTERM to the main process only; its workers must keep running their tasks.
  expect(s.get('KillMode')).toEqual(['mixed']);
  expect(Number(s.get('TimeoutStopSec')![0])).toBeGreaterThanOrEqual(300);
});
