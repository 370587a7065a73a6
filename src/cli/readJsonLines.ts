import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CliError } from './CliError.ts';
import { ExitCode } from './ExitCode.ts';

/**
 * The JSON values of a JSON-lines file (or stdin for `-`), one per non-blank line, read lazily so
 * an input of any size streams through in constant memory. A line that is not JSON fails with a
 * usage error (exit 2) naming the file and line.
 *
 * Blank lines are skipped, so an item's index is not its line number: for each one skipped, the index
 * of the item after it is pushed to `blankLines` (see {@link lineOfItem}).
 */
export async function* readJsonLines(path: string, blankLines: number[] = []): AsyncGenerator<unknown> {
  const stream = path === '-' ? process.stdin : createReadStream(path);
  const opened = new Promise<void>((resolve, reject) => {
    if (path === '-') return resolve();
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  try {
    await opened;
  } catch (cause) {
    throw new CliError('DROVER_USAGE', `cannot read --input ${path}: ${(cause as Error).message}`, ExitCode.usage, { cause });
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  let items = 0;
  try {
    for await (const line of lines) {
      lineNo += 1;
      if (line.trim() === '') {
        blankLines.push(items);
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (cause) {
        throw new CliError('DROVER_USAGE', `${path === '-' ? 'stdin' : path} line ${lineNo} is not JSON (${(cause as Error).message}): each line must be one JSON value`, ExitCode.usage, { cause });
      }
      items += 1;
      yield value;
    }
  } finally {
    lines.close();
    if (path !== '-') (stream as ReturnType<typeof createReadStream>).destroy();
  }
}
