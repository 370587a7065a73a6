import { readFileSync, statSync } from 'node:fs';
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
  /** What the file looked like just before it was last read: any later change differs from it. */
  #seen: string;
  readonly #timer: NodeJS.Timeout;

  /** Reads the file (throwing an {@link AuthConfigError} if it is unreadable or malformed) and starts polling it. */
  constructor(path: string, options: TokensFileOptions) {
    this.path = path;
    this.#log = options.logger;
    this.#seen = TokensFile.fingerprint(path);
    this.#table = TokensFile.read(path);
    this.#timer = setInterval(() => this.poll(), options.pollIntervalMs ?? 1000);
    this.#timer.unref();
  }

  /** The tokens in force. */
  get table(): TokenTable {
    return this.#table;
  }

  /** Reads the file again now; on failure the previous table stays and the error is logged. Returns whether it changed. */
  reload(): boolean {
    this.#seen = TokensFile.fingerprint(this.path);
    try {
      this.#table = TokensFile.read(this.path);
      this.#log.info({ tokensFile: this.path, tokens: this.#table.size }, 'tokens file reloaded');
      return true;
    } catch (error) {
      this.#log.error({ err: error, tokensFile: this.path }, 'the tokens file changed but cannot be used; the tokens read last stay in force until it is fixed');
      return false;
    }
  }

  /** Stops polling the file. */
  close(): void {
    clearInterval(this.#timer);
  }

  private poll(): void {
    const now = TokensFile.fingerprint(this.path);
    if (now === this.#seen) return;
    if (now === 'missing') {
      // Briefly absent while a Secret is swapped, or deleted by mistake: keep the tokens.
      this.#seen = now;
      this.#log.warn({ tokensFile: this.path }, 'the tokens file disappeared; the tokens read last stay in force');
      return;
    }
    this.reload();
  }

  /** Identity, size and modification time of the file (following symlinks), or `missing`. */
  private static fingerprint(path: string): string {
    try {
      const s = statSync(path, { bigint: true });
      return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    } catch {
      return 'missing';
    }
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
