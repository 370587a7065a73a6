// Number formatting for the report: thousands separators and fixed decimals, so columns compare.

export function int(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en') : '—';
}

export function fixed(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '—';
}

/** drover ÷ peer, written so that > 1 always means "drover is better" is stated by the caller. */
export function ratio(x: number, y: number): string {
  return Number.isFinite(x) && Number.isFinite(y) && y !== 0 ? `${(x / y).toFixed(2)}×` : '—';
}
