// `drover agent --uid N --gid N`: worker processes — so task functions and the commands they start —
// run as an unprivileged user (here `nobody`, the agent as root): they cannot read root's files,
// their scratch directories are theirs, and bundles, staged inputs and collected outputs still work.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostileCluster } from './HostileCluster.ts';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('workers as an unprivileged user (agent as root)', () => {
  let cluster: HostileCluster;
  let secretDir: string;
  let secret: string;

  beforeAll(async () => {
    cluster = await HostileCluster.start({ agentArgs: ['--uid', String(NOBODY), '--gid', String(NOBODY)] });
    secretDir = await mkdtemp(join(tmpdir(), 'drover-secret-'));
    secret = join(secretDir, 'secret.txt');
    await writeFile(secret, 'root only', { mode: 0o600 });
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    if (secretDir) await rm(secretDir, { recursive: true, force: true });
  });

  it('runs task functions from a bundle', async () => {
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  });

  it('runs commands as the unprivileged user, in a scratch directory it owns', async () => {
    const result = await cluster.pool.exec({ command: 'sh', args: ['-c', 'id -u; id -g; stat -c "%u %a" .'] });
    expect(result.exitCode).toBe(0);
    expect(result.stdoutTail.trim().split('\n')).toEqual([String(NOBODY), String(NOBODY), `${NOBODY} 700`]);
  });

  it('cannot read a file only root may read', async () => {
    const result = await cluster.pool.exec({ command: 'cat', args: [secret] });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderrTail).toContain('Permission denied');
  });

  it('stages inputs and collects outputs', async () => {
    const result = await cluster.pool.exec({ command: 'sh', args: ['-c', 'tr a-z A-Z < in.txt > out.txt'], inputs: { 'in.txt': Buffer.from('shout') }, outputs: ['out.txt'] });
    expect(result.exitCode).toBe(0);
    expect(Object.keys(result.outputs)).toEqual(['out.txt']);
    expect(result.outputs['out.txt'].size).toBe(5);
  });
});
