import { InvalidArgumentError } from 'commander';

/** Commander collector for repeatable `--label k=v` flags. */
export function parseKeyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** Commander collector for repeatable `--resource name=amount` flags. */
export function parseResource(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const pair = parseKeyValue(value);
  const [name, amount] = Object.entries(pair)[0]!;
  const n = Number(amount);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`resource ${name} needs a non-negative number, got "${amount}"`);
  return { ...previous, [name]: n };
}

/** Commander parser for a positive integer option. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}
