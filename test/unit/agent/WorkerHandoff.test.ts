// WorkerHandoff on its own: the files it writes and reads, what it refuses, and the directories it sweeps.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkerHandoff } from '../../../src/agent/WorkerHandoff.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'drover-handoff-test-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('WorkerHandoff', () => {
  it('writes an input file once, reads a result file once (removing it), and removes its directory', () => {
    const handoff = WorkerHandoff.create(join(root, 'work'))!;
    expect(handoff.dir).toMatch(new RegExp(`/work/handoff-${process.pid}-[A-Za-z0-9]{6}$`));
    const payload = Buffer.alloc(300_000, 7);
    expect(handoff.writeInput('att/1', payload)).toBe('in.att_1');
    expect(readFileSync(join(handoff.dir, 'in.att_1')).equals(payload)).toBe(true);
    // Exclusive: a second input of the same name is not written (the caller sends the bytes instead).
    expect(handoff.writeInput('att/1', payload)).toBeUndefined();

    writeFileSync(join(handoff.dir, 'out.att_1'), 'result bytes');
    expect(Buffer.from(handoff.readResult('out.att_1')).toString()).toBe('result bytes');
    expect(existsSync(join(handoff.dir, 'out.att_1'))).toBe(false);
    handoff.remove();
    expect(existsSync(handoff.dir)).toBe(false);
  });

  it('reads only a plain out. file of the directory: no path, no link, no second name', () => {
    const handoff = WorkerHandoff.create(root)!;
    const secret = join(root, 'secret');
    writeFileSync(secret, 'not the worker’s');
    for (const name of ['../secret', secret, 'in.att', 'out.a/b', '']) expect(() => handoff.readResult(name)).toThrow(/as its result file/);
    symlinkSync(secret, join(handoff.dir, 'out.link'));
    expect(() => handoff.readResult('out.link')).toThrow();
    expect(() => handoff.readResult('out.missing')).toThrow(/ENOENT/);
    mkdirSync(join(handoff.dir, 'out.dir'));
    expect(() => handoff.readResult('out.dir')).toThrow(/not a plain file/);
    expect(readFileSync(secret, 'utf8')).toBe('not the worker’s');
  });

  it('is not made in a work directory others may write to', () => {
    const open = join(root, 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    expect(WorkerHandoff.create(open)).toBeUndefined();
    expect(readdirSync(open)).toEqual([]);
  });

  it('sweeps the directories of agents no longer running, and keeps its own and other live ones', () => {
    const own = WorkerHandoff.create(root)!;
    // pid 1 always runs; a pid past the kernel's limit never does.
    for (const name of ['handoff-1-abcdef', 'handoff-99999999-abcdef', 'handoff-x-abcdef', 'scratch-1']) mkdirSync(join(root, name));
    WorkerHandoff.sweep(root);
    expect(readdirSync(root).sort()).toEqual([own.dir.split('/').at(-1), 'handoff-1-abcdef', 'handoff-x-abcdef', 'scratch-1'].sort());
  });
});
