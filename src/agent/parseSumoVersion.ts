/**
 * The SUMO version from the output of `sumo --version`, as `X.Y.Z`; '' when the first line is not SUMO's.
 * Releases print `Eclipse SUMO sumo Version 1.15.0`; nightly builds print the git describe form
 * `Eclipse SUMO sumo Version v1_15_0+1520-cb474809f6`, which reads as `1.15.0`.
 */
export function parseSumoVersion(output: string): string {
  const first = output.trimStart().split(/\r?\n/, 1)[0] ?? '';
  if (!/\bsumo\b/i.test(first)) return '';
  const m = /\bv?(\d+)[._](\d+)[._](\d+)/i.exec(first);
  return m ? `${Number(m[1])}.${Number(m[2])}.${Number(m[3])}` : '';
}
