/**
 * The 1-based input line of item `index` of {@link readJsonLines}, given the `blankLines` it recorded
 * (the index of the item after each blank line skipped, in order).
 */
export function lineOfItem(index: number, blankLines: readonly number[]): number {
  let before = 0;
  while (before < blankLines.length && blankLines[before]! <= index) before++;
  return index + 1 + before;
}
