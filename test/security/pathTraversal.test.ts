// Path traversal in staged files and collected outputs: `../`, absolute paths, NUL bytes, very long
// names, symlinks (at the name, and as a directory on the way), duplicate names — through a real
// agent (`pool.exec`) and against stageFiles directly. Each is refused with a clear error and
// nothing is written or read outside the task's scratch directory.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskError } from '../../src/sdk/index.ts';
import { resolveInside } from '../../src/task/index.ts';
import { stageFiles } from '../../src/task/stageFiles.ts';
import { HostileCluster } from './HostileCluster.ts';

let cluster: HostileCluster;

beforeAll(async () => {
  cluster = await HostileCluster.start();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Runs `pool.exec(spec)` and resolves with the TaskError it must reject with. */
async function refused(spec: Parameters<HostileCluster['pool']['exec']>[0]): Promise<TaskError> {
  const error = await cluster.pool.exec(spec).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TaskError);
  return error as TaskError;
}

describe('staged input names, through an agent', () => {
  it.each([
    ['../', '../escaped.txt', 'leaves the task\'s scratch directory'],
    ['a deeper ../', 'a/../../../escaped.txt', 'leaves the task\'s scratch directory'],
    ['an absolute path', '/tmp/drover-absolute-escape.txt', 'is absolute'],
    ['a NUL byte', 'in\u0000.txt', 'invalid path'],
    ['a 300-byte name', `${'n'.repeat(300)}.txt`, 'has a name over 255 bytes'],
    ['a 5000-character path', `${'d/'.repeat(2500)}f`, 'characters long, over 4096'],
  ])('refuses an input staged at %s', async (_what, name, message) => {
    const error = await refused({ command: 'true', inputs: { [name]: Buffer.from('payload') } });
    expect(error.remoteMessage).toContain(message);
    expect(existsSync('/tmp/drover-absolute-escape.txt')).toBe(false);
  });
});

describe('collected outputs and cwd, through an agent', () => {
  it('refuses an output that is a symlink to a file outside', async () => {
    const error = await refused({ command: 'ln', args: ['-s', '/etc/passwd', 'out.txt'], outputs: ['out.txt'] });
    expect(error.remoteMessage).toContain('output "out.txt" is not a regular file');
  });

  it('refuses an output reached through a symlinked directory', async () => {
    const error = await refused({ command: 'ln', args: ['-s', '/etc', 'd'], outputs: ['d/passwd'] });
    expect(error.remoteMessage).toContain('output "d/passwd" resolves outside the task\'s scratch directory');
  });

  it('refuses outputs and a cwd that climb out', async () => {
    expect((await refused({ command: 'true', outputs: ['../../../../etc/passwd'] })).remoteMessage).toContain('leaves the task\'s scratch directory');
    expect((await refused({ command: 'true', cwd: '../..' })).remoteMessage).toContain('leaves the task\'s scratch directory');
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  });
});

describe('stageFiles against a scratch directory holding symlinks', () => {
  let root: string;
  let scratch: string;
  let outside: string;
  let blob: string;
  const fetchBlob = async (): Promise<string> => blob;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'drover-traversal-'));
    scratch = join(root, 'scratch');
    outside = join(root, 'outside');
    await mkdir(scratch);
    await mkdir(outside);
    blob = join(root, 'blob');
    await writeFile(blob, 'staged bytes');
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('refuses to stage through a symlinked directory and writes nothing outside', async () => {
    await symlink(outside, join(scratch, 'linkdir'));
    await expect(stageFiles(scratch, { 'linkdir/planted.txt': 'd'.repeat(64) }, fetchBlob)).rejects.toThrow('would be written outside the scratch directory');
    expect(existsSync(join(outside, 'planted.txt'))).toBe(false);
  });

  it('refuses to stage onto a symlink and leaves its target untouched', async () => {
    const victim = join(outside, 'victim.txt');
    await writeFile(victim, 'precious');
    await symlink(victim, join(scratch, 'input.txt'));
    await expect(stageFiles(scratch, { 'input.txt': 'd'.repeat(64) }, fetchBlob)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(victim, 'utf8')).toBe('precious');
  });

  it('refuses one file staged twice under two spellings', async () => {
    await expect(stageFiles(scratch, { 'twice.txt': 'd'.repeat(64), './twice.txt': 'd'.repeat(64) }, fetchBlob)).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('resolves ordinary nested names inside the directory', () => {
    expect(resolveInside(scratch, 'a/b/./c.txt')).toBe(join(scratch, 'a/b/c.txt'));
  });
});
