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
  it('lets uploaders read what they uploaded, admins everything, others (agents by themselves included) nothing', () => {
    const access = new BlobAccess();
    access.grant(alice.name, D1);
    expect(access.mayRead(alice, D1)).toBe(true);
    expect(access.mayRead(bob, D1)).toBe(false);
    expect(access.mayRead(alice, D2)).toBe(false);
    expect(access.mayRead(agent, D1)).toBe(false);
    expect(access.mayRead(root, D2)).toBe(true);
    access.grant(bob.name, D1);
    expect(access.mayRead(bob, D1)).toBe(true);
  });

  it("reads on behalf of a job with its owner's rights: what the owner uploaded or its jobs produced", () => {
    const access = new BlobAccess();
    access.grant(alice.name, D1);
    expect(access.mayReadAs('alice', D1)).toBe(true);
    expect(access.mayReadAs('bob', D1)).toBe(false);
    // An output of one of bob's jobs (granted to the job's owner by the blob service).
    access.grant(bob.name, D2);
    expect(access.mayReadAs('bob', D2)).toBe(true);
    expect(access.mayRead(bob, D2)).toBe(true);
    expect(access.mayRead(alice, D2)).toBe(false);
  });

  it('lets the jobs of an admin read every blob', () => {
    const access = new BlobAccess(undefined, { isAdmin: (name) => name === 'root' });
    access.grant(alice.name, D1);
    expect(access.mayReadAs('root', D1)).toBe(true);
    expect(access.mayReadAs('root', D2)).toBe(true);
    expect(access.mayReadAs('bob', D1)).toBe(false);
  });

  it('honours the "*" entries of earlier versions (outputs readable by any client) for clients only', () => {
    const file = join(dir, 'readers.log');
    appendFileSync(file, `${D2} "*"\n`);
    const access = new BlobAccess(file);
    expect(access.mayRead(alice, D2)).toBe(true);
    expect(access.mayRead(agent, D2)).toBe(false);
    expect(access.mayRead(alice, D1)).toBe(false);
  });

  it('keeps grants in its file across instances, skipping a torn last line', () => {
    const file = join(dir, 'readers.log');
    const first = new BlobAccess(file);
    first.grant(alice.name, D1);
    first.grant(alice.name, D1); // once in the file
    first.grant(bob.name, D2);
    appendFileSync(file, `${D1} "bo`);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
    const second = new BlobAccess(file);
    expect(second.mayRead(alice, D1)).toBe(true);
    expect(second.mayRead(bob, D1)).toBe(false);
    expect(second.mayRead(bob, D2)).toBe(true);
    expect(second.mayRead(alice, D2)).toBe(false);
  });
});
