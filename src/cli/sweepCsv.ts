import type { SumoRunResult } from '../sdk/index.ts';

function flatten(prefix: string, value: unknown, out: Record<string, unknown>): void {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
  } else if (typeof value === 'number' || typeof value === 'string') {
    out[prefix] = value;
  }
}

const quote = (v: unknown): string => {
  const s = v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One CSV row per run: seed, parameters, where it ran, wall time, and every statistic SUMO reported. */
export function sweepCsv(runs: SumoRunResult[]): string {
  const rows = runs.map((r) => {
    const row: Record<string, unknown> = { seed: r.seed };
    for (const [k, v] of Object.entries(r.params)) row[`param.${k}`] = v;
    row.agent = r.agent;
    row.worker = r.worker;
    row.wallMs = Math.round(r.wallMs);
    const { sections: _sections, ...stats } = r.statistics as typeof r.statistics & { sections?: unknown };
    flatten('', stats, row);
    return row;
  });
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return [columns.join(','), ...rows.map((r) => columns.map((c) => quote(r[c])).join(','))].join('\n') + '\n';
}
