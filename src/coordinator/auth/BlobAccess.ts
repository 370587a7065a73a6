import { appendFileSync, readFileSync } from 'node:fs';
import type { Principal } from './Principal.ts';

const digestPattern = /^[0-9a-f]{64}$/;
/** Reader entry of blobs uploaded by agents (task outputs): readable by every principal that knows the digest. */
const ANYONE = '*';

/**
 * Who may read which blob. A blob is readable by each principal that uploaded it: a `Put` whose
 * bytes match the digest proves the uploader holds the content, so uploading identical content
 * grants access without storing it twice, while knowing a digest alone grants nothing. Agents and
 * admins read every blob (agents fetch the bundles and files of whatever tasks they are given).
 * Blobs uploaded by agents — task output files, whose digests travel only in their job's results —
 * are readable by anyone who knows the digest.
 *
 * With a file, grants are appended to it (`<digest> <JSON name>` per line) and read back at start,
 * so a restarted coordinator keeps them.
 */
export class BlobAccess {
  readonly #readers = new Map<string, Set<string>>();
  readonly #file: string | undefined;

  constructor(file?: string) {
    this.#file = file;
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

  /** Whether `principal` may read (and is told about) the blob `digest`. */
  mayRead(principal: Principal, digest: string): boolean {
    if (principal.role === 'admin' || principal.role === 'agent') return true;
    const readers = this.#readers.get(digest);
    return readers !== undefined && (readers.has(principal.name) || readers.has(ANYONE));
  }

  /**
   * Whether `Has` tells `principal` the blob is there (so it skips uploading it): when it may read
   * it — except for agents, which may read everything but must still upload their outputs, so that
   * the outputs become readable by the clients: for them, only blobs some agent uploaded count.
   */
  presentFor(principal: Principal, digest: string): boolean {
    if (principal.role === 'agent') return this.#readers.get(digest)?.has(ANYONE) ?? false;
    return this.mayRead(principal, digest);
  }

  /** `principal` uploaded the blob's bytes: it may read it from now on. */
  grant(principal: Principal, digest: string): void {
    const name = principal.role === 'agent' ? ANYONE : principal.name;
    if (this.#readers.get(digest)?.has(name)) return;
    if (this.#file !== undefined) appendFileSync(this.#file, `${digest} ${JSON.stringify(name)}\n`, { mode: 0o600 });
    this.#add(digest, name);
  }

  #add(digest: string, name: string): void {
    let readers = this.#readers.get(digest);
    if (readers === undefined) this.#readers.set(digest, (readers = new Set()));
    readers.add(name);
  }
}
