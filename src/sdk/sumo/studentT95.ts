// Two-sided 95 % critical values of Student's t, df 1..30, then sparse points down to the normal 1.960.
const TABLE = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
  2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];
const SPARSE: [number, number][] = [[30, 2.042], [40, 2.021], [60, 2.0], [120, 1.98], [1000, 1.962]];

/** The t value that makes `mean ± t·s/√n` a 95 % confidence interval with `df` degrees of freedom. */
export function studentT95(df: number): number {
  if (!(df >= 1)) return Number.NaN;
  if (df <= 30) return TABLE[Math.floor(df) - 1]!;
  for (let i = 1; i < SPARSE.length; i++) {
    const [d1, t1] = SPARSE[i - 1]!;
    const [d2, t2] = SPARSE[i]!;
    // Interpolate in 1/df, in which t is close to linear.
    if (df <= d2) return t1 + ((1 / df - 1 / d1) / (1 / d2 - 1 / d1)) * (t2 - t1);
  }
  return 1.96;
}
