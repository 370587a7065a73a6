import { InvalidArgumentError } from 'commander';

/** Commander parser for `--worker-nice`: an integer from 0 to 19 (the range of Unix niceness above another's). */
export function parseWorkerNice(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 19) throw new InvalidArgumentError(`expected an integer from 0 to 19, got "${value}"`);
  return n;
}
