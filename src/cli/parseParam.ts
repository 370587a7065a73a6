import { InvalidArgumentError } from 'commander';

/** Commander collector for repeatable `--param name=v1,v2` flags (numbers stay numbers). */
export function parseParam(value: string, previous: Record<string, (string | number)[]> = {}): Record<string, (string | number)[]> {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1) throw new InvalidArgumentError(`expected --param name=v1,v2, got "${value}"`);
  const name = value.slice(0, eq).replace(/^--/, '');
  const values = value.slice(eq + 1).split(',').map((v) => v.trim()).filter(Boolean).map((v) => (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v));
  return { ...previous, [name]: values };
}
