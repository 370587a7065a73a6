import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

const digestPattern = /^[0-9a-f]{64}$/;
const TEMP_PREFIX = '.tmp-';

/**
 * Content-addressed blobs (task bundles, input and output files), keyed by the lowercase hex
 * sha256 of their bytes: in memory, or — with a directory — one file per blob, `<dir>/<digest>`,
 * written to a temporary name, synced and renamed into place, so a blob file is always whole and a
 * restarted coordinator still serves every bundle. The store trusts its callers to have verified
 * the digest (`BlobsService.put` does, before calling `put`).
 */
export class BlobStore {
  private readonly dir: string | undefined;
  private readonly memory = new Map<string, Buffer>();
  /** Sizes of the stored blobs (both modes): the index `has` answers from. */
  private readonly sizes = new Map<string, number>();
  private bytes = 0;

  /** An in-memory store; use {@link BlobStore.open} for one on disk. */
  constructor(dir?: string) {
    this.dir = dir;
  }

  /** A store on disk under `dir` (created 0700), indexing the blobs already there. */
  static async open(dir: string): Promise<BlobStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const store = new BlobStore(dir);
    for (const name of await readdir(dir)) {
      if (name.startsWith(TEMP_PREFIX)) {
        // A write cut short by a crash.
        await rm(join(dir, name), { force: true });
      } else if (digestPattern.test(name)) {
        const size = (await stat(join(dir, name))).size;
        store.sizes.set(name, size);
        store.bytes += size;
      }
    }
    return store;
  }

  /** Whether a blob with this digest is stored. */
  has(digest: string): boolean {
    return this.sizes.has(digest);
  }

  /** The blob's bytes, or `undefined`. */
  async get(digest: string): Promise<Buffer | undefined> {
    if (!this.sizes.has(digest)) return undefined;
    if (this.dir === undefined) return this.memory.get(digest);
    return readFile(join(this.dir, digest));
  }

  /** Stores verified bytes under their digest (storing the same blob twice is a no-op). */
  async put(digest: string, data: Buffer): Promise<void> {
    if (this.sizes.has(digest)) return;
    if (this.dir !== undefined) {
      if (!digestPattern.test(digest)) throw new Error(`BlobStore: not a sha256 digest: ${JSON.stringify(digest.slice(0, 80))}`);
      const temp = join(this.dir, `${TEMP_PREFIX}${digest}-${randomBytes(4).toString('hex')}`);
      const file = await open(temp, 'wx', 0o600);
      try {
        await file.writeFile(data);
        await file.sync();
      } finally {
        await file.close();
      }
      try {
        await rename(temp, join(this.dir, digest));
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      if (this.sizes.has(digest)) return; // a concurrent put of the same blob won
    } else {
      this.memory.set(digest, data);
    }
    this.sizes.set(digest, data.length);
    this.bytes += data.length;
  }

  /** Number of blobs stored. */
  get count(): number {
    return this.sizes.size;
  }

  /** Total bytes stored. */
  get totalBytes(): number {
    return this.bytes;
  }
}
