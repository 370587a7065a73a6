import { InvalidArgumentError } from 'commander';

/** `1..32`, `1,2,5`, `1..4,10..12` → the seeds, in order, without repeats. */
export function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const range = part.match(/^(-?\d+)\.\.(-?\d+)$/);
    if (range) {
      const [lo, hi] = [Number(range[1]), Number(range[2])];
      if (hi < lo) throw new InvalidArgumentError(`seed range ${part} runs backwards`);
      if (hi - lo > 1_000_000) throw new InvalidArgumentError(`seed range ${part} is too large`);
      for (let s = lo; s <= hi; s++) seeds.push(s);
    } else if (/^-?\d+$/.test(part)) {
      seeds.push(Number(part));
    } else {
      throw new InvalidArgumentError(`expected seeds like 1..32 or 1,2,5, got "${part}"`);
    }
  }
  if (seeds.length === 0) throw new InvalidArgumentError('no seeds given');
  return [...new Set(seeds)];
}
