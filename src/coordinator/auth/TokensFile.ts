import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import type { Logger } from '../../protocol/index.ts';
import { AuthConfigError } from './AuthConfigError.ts';
import { parseTokensFile } from './parseTokensFile.ts';
import { TokenTable } from './TokenTable.ts';

/** Options for {@link TokensFile}. */
export interface TokensFileOptions {
  logger: Logger;
  /** How often the file is checked for changes; default 1000 ms. */
  pollIntervalMs?: number;
}

/**
 * A tokens file (`--tokens-file`), read at start and again whenever it changes, so that removing a
 * line revokes its token without a restart. The file is polled (stat) rather than watched with
 * inotify, because Kubernetes updates a mounted Secret by swapping a symlink, which inotify
 * watches on the old file miss. A change that does not parse is logged and ignored: the previous
 * table stays in force until the file is fixed.
 */
export class TokensFile {
  readonly path: string;
  readonly #log: Logger;
  #table: TokenTable;
  #closed = false;
  readonly #onChange = (current: Stats, previous: Stats): void => {
    if (this.#closed) return;
    // nlink 0 / size 0 with no mtime: the file is gone for now (a Secret being swapped); keep the table.
    if (current.mtimeMs === 0 && current.size === 0) {
      this.#log.warn({ tokensFile: this.path }, 'the tokens file disappeared; the tokens read last stay in force');
      return;
    }
    if (current.mtimeMs === previous.mtimeMs && current.size === previous.size && current.ino === previous.ino) return;
    this.reload();
  };

  /** Reads the file (throwing an {@link AuthConfigError} if it is unreadable or malformed) and starts watching it. */
  constructor(path: string, options: TokensFileOptions) {
    this.path = path;
    this.#log = options.logger;
    this.#table = TokensFile.read(path);
    watchFile(path, { interval: options.pollIntervalMs ?? 1000, persistent: false }, this.#onChange);
  }

  /** The tokens in force. */
  get table(): TokenTable {
    return this.#table;
  }

  /** Reads the file again now; on failure the previous table stays and the error is logged. Returns whether it changed. */
  reload(): boolean {
    try {
      this.#table = TokensFile.read(this.path);
      this.#log.info({ tokensFile: this.path, tokens: this.#table.size }, 'tokens file reloaded');
      return true;
    } catch (error) {
      this.#log.error({ err: error, tokensFile: this.path }, 'the tokens file changed but cannot be used; the tokens read last stay in force until it is fixed');
      return false;
    }
  }

  /** Stops watching the file. */
  close(): void {
    this.#closed = true;
    unwatchFile(this.path, this.#onChange);
  }

  private static read(path: string): TokenTable {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new AuthConfigError(`cannot read the tokens file ${path}: ${(error as Error).message}`, { cause: error });
    }
    return new TokenTable(parseTokensFile(text, path));
  }
}
