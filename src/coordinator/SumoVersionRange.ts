/** One `op version` test, versions as numeric components (missing components count as 0). */
interface Comparator {
  op: '>=' | '>' | '<=' | '<' | '=';
  version: number[];
}

const versionPattern = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?$/i;

/**
 * A SUMO version requirement (`Requirements.sumo`), compared numerically: `1.9` < `1.15`.
 *
 * Accepts `*` (any installed SUMO), comparators (`>=1.15`, `<2`, `=1.20.0`), a bare version or
 * x-range (`1.15`, `1.x`: any 1.15.z / 1.y.z), caret and tilde ranges (`^1.15`, `~1.15.2`),
 * space-separated conjunctions (`>=1.15 <1.20`) and `||` alternatives, as semver ranges do.
 * Pre-release suffixes on the agent's version (`1.20.0-dev`) are ignored.
 *
 * @example
 * SumoVersionRange.parse('>=1.15').includes('1.20.0'); // true
 */
export class SumoVersionRange {
  /** Alternatives (`||`); each is a conjunction of comparators. */
  private readonly alternatives: Comparator[][];

  private constructor(alternatives: Comparator[][]) {
    this.alternatives = alternatives;
  }

  /** Parses a range; throws a `RangeError` naming the range when it cannot be read. */
  static parse(text: string): SumoVersionRange {
    const alternatives: Comparator[][] = [];
    for (const alternative of text.split('||')) {
      const comparators: Comparator[] = [];
      // Allow a space between an operator and its version (`>= 1.15`).
      const tokens = alternative.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/).filter(Boolean);
      if (tokens.length === 0) throw new RangeError(`invalid SUMO version range ${JSON.stringify(text)}: empty alternative`);
      for (const token of tokens) comparators.push(...parseToken(token, text));
      alternatives.push(comparators);
    }
    return new SumoVersionRange(alternatives);
  }

  /** Whether an installed SUMO version (like `1.15.0`) satisfies the range; `''` (none) never does. */
  includes(installed: string): boolean {
    const version = parseInstalled(installed);
    if (!version) return false;
    return this.alternatives.some((all) => all.every((c) => test(c, version)));
  }
}

function parseToken(token: string, text: string): Comparator[] {
  if (token === '*' || token === 'x' || token === 'X') return [];
  const match = /^(>=|<=|>|<|=|\^|~)?(.*)$/.exec(token)!;
  const op = match[1] ?? '';
  const parts = versionPattern.exec(match[2]);
  if (!parts) throw new RangeError(`invalid SUMO version range ${JSON.stringify(text)}: cannot read ${JSON.stringify(token)}`);
  // Components given as numbers; an `x`/`*` or a missing component ends the precision.
  const given: number[] = [];
  for (const part of [parts[1], parts[2], parts[3]]) {
    if (part === undefined || part === 'x' || part === 'X' || part === '*') break;
    given.push(Number(part));
  }
  const floor = pad(given);
  switch (op) {
    case '>=':
    case '<':
      return [{ op, version: floor }];
    case '<=':
      // `<=1.15` includes every 1.15.z.
      return given.length === 3 ? [{ op, version: floor }] : [{ op: '<', version: bump(given, given.length - 1) }];
    case '>':
      return given.length === 3 ? [{ op, version: floor }] : [{ op: '>=', version: bump(given, given.length - 1) }];
    case '^': {
      // Caret: the left-most non-zero component is fixed.
      const fixed = Math.max(0, Math.min(given.findIndex((n) => n !== 0), given.length - 1));
      return [{ op: '>=', version: floor }, { op: '<', version: bump(given, given[fixed] === 0 ? given.length - 1 : fixed) }];
    }
    case '~':
      return [{ op: '>=', version: floor }, { op: '<', version: bump(given, given.length >= 2 ? 1 : 0) }];
    default:
      // A bare or `=` version matches every version that starts with the given components.
      return given.length === 3
        ? [{ op: '=', version: floor }]
        : [{ op: '>=', version: floor }, { op: '<', version: bump(given, given.length - 1) }];
  }
}

function parseInstalled(installed: string): number[] | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(installed.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

function pad(given: number[]): number[] {
  return [given[0] ?? 0, given[1] ?? 0, given[2] ?? 0];
}

/** The smallest version above every version starting with `given[0..index]`. */
function bump(given: number[], index: number): number[] {
  if (index < 0) return [Number.POSITIVE_INFINITY, 0, 0];
  const next = given.slice(0, index + 1);
  next[index] += 1;
  return pad(next);
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

function test(c: Comparator, version: number[]): boolean {
  const order = compare(version, c.version);
  switch (c.op) {
    case '>=':
      return order >= 0;
    case '>':
      return order > 0;
    case '<=':
      return order <= 0;
    case '<':
      return order < 0;
    default:
      return order === 0;
  }
}
