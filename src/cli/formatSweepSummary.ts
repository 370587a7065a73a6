import type { SweepGroupSummary } from '../sdk/index.ts';

const fmt = (v: number): string => (Number.isNaN(v) ? '—' : Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(4));

/** The per-parameter-set summary as a plain text table: mean ± 95 % CI half-width (std). */
export function formatSweepSummary(groups: SweepGroupSummary[]): string {
  const lines: string[] = [];
  for (const g of groups) {
    const params = Object.entries(g.params).map(([k, v]) => `${k}=${v}`).join(' ') || '(no parameters)';
    lines.push(`${params}  —  ${g.runs} runs`);
    const rows = Object.entries(g.metrics).map(([name, m]) => [name, fmt(m.mean), `± ${fmt(m.ci95)}`, `(sd ${fmt(m.std)})`]);
    const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), 0));
    for (const r of rows) lines.push(`  ${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padStart(widths[1]!)} ${r[2]!.padEnd(widths[2]!)} ${r[3]}`);
    lines.push('');
  }
  return lines.join('\n');
}
