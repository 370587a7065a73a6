import { mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobAccess, type Principal } from '../../../../src/coordinator/auth/index.ts';

const D1 = '1'.repeat(64);
const D2 = '2'.repeat(64);
const alice: Principal = { name: 'alice', role: 'client' };
const bob: Principal = { name: 'bob', role: 'client' };
const agent: Principal = { name: 'rack-1', role: 'agent' };
const root: Principal = { name: 'root', role: 'admin' };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drover-blob-access-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('BlobAccess', () => {
  it('lets uploaders read what they uploaded, agents and admins everything, others nothing', () => {
    const access = new BlobAccess();
    access.grant(alice, D1);
    expect(access.mayRead(alice, D1)).toBe(true);
    expect(access.mayRead(bob, D1)).toBe(false);
    expect(access.mayRead(alice, D2)).toBe(false);
    expect(access.mayRead(agent, D2)).toBe(true);
    expect(access.mayRead(root, D2)).toBe(true);
    access.grant(bob, D1);
    expect(access.mayRead(bob, D1)).toBe(true);
  });

  it('makes blobs uploaded by agents (task outputs) readable by any principal that knows the digest', () => {
    const access = new BlobAccess();
    access.grant(agent, D2);
    expect(access.mayRead(alice, D2)).toBe(true);
  });

  it('tells agents a blob is present only when an agent uploaded it, so outputs equal to a client upload are still shared', () => {
    const access = new BlobAccess();
    access.grant(bob, D1);
    expect(access.mayRead(agent, D1)).toBe(true);
    expect(access.presentFor(agent, D1)).toBe(false);
    expect(access.presentFor(alice, D1)).toBe(false);
    expect(access.presentFor(bob, D1)).toBe(true);
    expect(access.presentFor(root, D1)).toBe(true);
    access.grant(agent, D1);
    expect(access.presentFor(agent, D1)).toBe(true);
    expect(access.mayRead(alice, D1)).toBe(true);
  });

  it('keeps grants in its file across instances, skipping a torn last line', () => {
    const file = join(dir, 'readers.log');
    const first = new BlobAccess(file);
    first.grant(alice, D1);
    first.grant(alice, D1); // once in the file
    first.grant(agent, D2);
    appendFileSync(file, `${D1} "bo`);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
    const second = new BlobAccess(file);
    expect(second.mayRead(alice, D1)).toBe(true);
    expect(second.mayRead(bob, D1)).toBe(false);
    expect(second.mayRead(bob, D2)).toBe(true);
  });
});
