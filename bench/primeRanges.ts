// P4's work split: [0, limit) in `parts` equal ranges, as bench/peers/peers.py's `ranges` does.
export function primeRanges(limit: number, parts: number): [number, number][] {
  const step = Math.ceil(limit / parts);
  return Array.from({ length: parts }, (_, i): [number, number] => [i * step, Math.min(limit, (i + 1) * step)]);
}
