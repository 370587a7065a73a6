import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { CliError } from './CliError.ts';
import { ExitCode } from './ExitCode.ts';

/**
 * Writes values as JSON lines to a file (or stdout for `-`), waiting when the stream is full so a
 * fast producer cannot buffer unbounded output. Values JSON cannot express are mapped: bigint to a
 * decimal string, typed arrays and `Uint8Array` to arrays of numbers, `Date` to its ISO string.
 */
export class JsonLinesWriter {
  readonly #stream: NodeJS.WritableStream;
  readonly #file: WriteStream | undefined;
  readonly #path: string;
  /** The first write error the stream reported (also one emitted while nobody waited for `drain`). */
  #error: Error | undefined;

  constructor(path: string) {
    this.#path = path;
    this.#file = path === '-' ? undefined : createWriteStream(path);
    this.#stream = this.#file ?? process.stdout;
    this.#stream.on('error', (error: Error) => {
      this.#error ??= error;
    });
  }

  /** Resolves once the file is open (fails with a usage error when it cannot be created). */
  async open(): Promise<void> {
    if (this.#file === undefined) return;
    try {
      await once(this.#file, 'open');
    } catch (cause) {
      throw new CliError('DROVER_USAGE', `cannot write --output ${this.#path}: ${(cause as Error).message}`, ExitCode.usage, { cause });
    }
  }

  /** Rejects with a `CliError` once the output cannot be written (e.g. `drover map | head` closed the pipe). */
  async write(value: unknown): Promise<void> {
    if (this.#error !== undefined) throw this.#writeError(this.#error);
    const line = `${JSON.stringify(value === undefined ? null : value, jsonReplacer)}\n`;
    if (this.#stream.write(line)) return;
    try {
      await once(this.#stream, 'drain');
    } catch (error) {
      throw this.#writeError(error as Error);
    }
  }

  #writeError(cause: Error): CliError {
    const where = this.#file === undefined ? 'stdout' : this.#path;
    // The reader went away (a pipe into `head`): an ordinary end for a command line, not a crash.
    if ((cause as NodeJS.ErrnoException).code === 'EPIPE') {
      return new CliError('DROVER_OUTPUT_CLOSED', `the reader of ${where} closed it; stopped writing results and cancelled the job`, ExitCode.failed, { cause });
    }
    return new CliError('DROVER_OUTPUT', `cannot write results to ${where}: ${cause.message}`, ExitCode.failed, { cause });
  }

  /** Flushes and closes the file (stdout stays open). */
  async close(): Promise<void> {
    if (this.#file === undefined) return;
    const file = this.#file;
    await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  // `this[key]` is the value before its toJSON() ran (a Buffer's would give {type, data}).
  const original = (this as Record<string, unknown>)[key];
  if (ArrayBuffer.isView(original) && !(original instanceof DataView)) {
    return Array.from(original as unknown as ArrayLike<number | bigint>, (n) => (typeof n === 'bigint' ? n.toString() : n));
  }
  return value;
}
