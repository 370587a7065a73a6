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

  constructor(path: string) {
    this.#path = path;
    this.#file = path === '-' ? undefined : createWriteStream(path);
    this.#stream = this.#file ?? process.stdout;
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

  async write(value: unknown): Promise<void> {
    const line = `${JSON.stringify(value === undefined ? null : value, jsonReplacer)}\n`;
    if (!this.#stream.write(line)) await once(this.#stream, 'drain');
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
