import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The directory beside a coordinator database (`<database>-payloads/`) that holds its large task
 * inputs and result runs, one file each, named after their row's key. The row keeps an empty blob.
 *
 * In the database a large value is written three times (the WAL at commit, the database file at the
 * checkpoint, freed pages again when its row goes) and read back twice; as a file it is written once
 * and, since it usually goes within seconds, its pages are dropped before they ever reach the disk.
 * Files are written before the commit that refers to them and removed after the one that stops
 * referring to them, so after a crash a row never lacks its file; a file without a row is removed at
 * the next start.
 */
export class PayloadFiles {
  readonly dir: string;
  readonly #syncEachWrite: boolean;
  /** Files written since the last {@link sync} (with `syncEachWrite` off). */
  readonly #unsynced = new Set<string>();

  /** `syncEachWrite`: fdatasync every file before the commit that refers to it (`synchronous = FULL`). */
  constructor(dir: string, syncEachWrite: boolean) {
    this.dir = dir;
    this.#syncEachWrite = syncEachWrite;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  write(name: string, bytes: Uint8Array): void {
    const fd = openSync(join(this.dir, name), 'w', 0o600);
    try {
      for (let at = 0; at < bytes.byteLength;) at += writeSync(fd, bytes, at, bytes.byteLength - at);
      if (this.#syncEachWrite) fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (this.#syncEachWrite) this.#syncDir();
    else this.#unsynced.add(name);
  }

  /** The file's bytes, or undefined when it is missing (lost with the OS before it was synced). */
  read(name: string): Uint8Array | undefined {
    try {
      return readFileSync(join(this.dir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /**
   * Removes a file whose row is gone. Never throws: it runs after that commit, which must not look
   * failed, and a file it could not remove is removed at the next start (see the class).
   */
  remove(name: string): void {
    this.#unsynced.delete(name);
    try {
      unlinkSync(join(this.dir, name));
    } catch {
      // Gone already, or left for the next start.
    }
  }

  /** Every file's name ([] if the directory cannot be read; see {@link remove}). */
  list(): string[] {
    try {
      return readdirSync(this.dir);
    } catch {
      return [];
    }
  }

  /**
   * Syncs the files written since the last call, before a checkpoint syncs the database: from then on
   * the rows that refer to them are on disk, and so are they.
   */
  sync(): void {
    if (this.#unsynced.size === 0) return;
    for (const name of this.#unsynced) {
      let fd: number;
      try {
        fd = openSync(join(this.dir, name), 'r');
      } catch {
        continue; // removed meanwhile
      }
      try {
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    this.#unsynced.clear();
    this.#syncDir();
  }

  #syncDir(): void {
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
