import { appendFileSync, readFileSync } from 'node:fs';
import type { Principal } from './Principal.ts';

const digestPattern = /^[0-9a-f]{64}$/;
/**
 * Reader entry written by earlier versions for blobs uploaded by agents (task outputs were readable by
 * every client that knew the digest). Still honoured for clients when read back, so outputs of jobs
 * run before an upgrade stay readable; nothing grants it any more.
 */
const LEGACY_ANYONE = '*';

/**
 * Who may read which blob. A blob is readable by each principal that uploaded it: a `Put` whose
 * bytes match the digest proves the uploader holds the content, so uploading identical content
 * grants access without storing it twice, while knowing a digest alone grants nothing. A task
 * output (uploaded by an agent for a job) is readable by the job's owner. Admins read every blob,
 * and so do the tasks of their jobs.
 * Agents read nothing on their own: they read on behalf of a job, with its owner's rights
 * ({@link mayReadAs}), which the blob service checks against the attempts the agent holds.
 *
 * With a file, grants are appended to it (`<digest> <JSON name>` per line) and read back at start,
 * so a restarted coordinator keeps them.
 */
export class BlobAccess {
  readonly #readers = new Map<string, Set<string>>();
  readonly #file: string | undefined;
  readonly #isAdmin: (name: string) => boolean;

  /**
   * `file` keeps the grants across restarts; `isAdmin` says whether a principal (by name) is an admin
   * now, for the jobs admins own (default: none is).
   */
  constructor(file?: string, options: { isAdmin?: (name: string) => boolean } = {}) {
    this.#file = file;
    this.#isAdmin = options.isAdmin ?? (() => false);
    if (file === undefined) return;
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const line of text.split('\n')) {
      const space = line.indexOf(' ');
      if (space < 0) continue; // blank, or a line cut short by a crash
      const digest = line.slice(0, space);
      let name: unknown;
      try {
        name = JSON.parse(line.slice(space + 1));
      } catch {
        continue;
      }
      if (digestPattern.test(digest) && typeof name === 'string') this.#add(digest, name);
    }
  }

  /**
   * Whether `principal` may read (and is told about) the blob `digest` by itself. Agents may not:
   * they ask on behalf of a job, see {@link mayReadAs}.
   */
  mayRead(principal: Principal, digest: string): boolean {
    if (principal.role === 'admin') return true;
    if (principal.role === 'agent') return false;
    const readers = this.#readers.get(digest);
    return readers !== undefined && (readers.has(principal.name) || readers.has(LEGACY_ANYONE));
  }

  /**
   * Whether the principal named `owner` (a job's owner) may read the blob: it uploaded it, or it is an
   * output of one of its jobs — or the owner is an admin. What a job's tasks may fetch or stage, and
   * its bundle.
   */
  mayReadAs(owner: string, digest: string): boolean {
    if (this.#isAdmin(owner)) return true;
    const readers = this.#readers.get(digest);
    return readers !== undefined && (readers.has(owner) || readers.has(LEGACY_ANYONE));
  }

  /**
   * `reader` (the uploader's principal name, or for a task output the job owner's) may read the blob
   * from now on.
   */
  grant(reader: string, digest: string): void {
    if (this.#readers.get(digest)?.has(reader)) return;
    if (this.#file !== undefined) appendFileSync(this.#file, `${digest} ${JSON.stringify(reader)}\n`, { mode: 0o600 });
    this.#add(digest, reader);
  }

  #add(digest: string, name: string): void {
    let readers = this.#readers.get(digest);
    if (readers === undefined) this.#readers.set(digest, (readers = new Set()));
    readers.add(name);
  }
}
