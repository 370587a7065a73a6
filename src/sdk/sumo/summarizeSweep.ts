import type { SumoStatistics } from '../../sumo/index.ts';
import { studentT95 } from './studentT95.ts';

/** Mean, spread and 95 % confidence interval of one statistic over the runs of one parameter set. */
export interface MetricSummary {
  /** Runs that reported the statistic. */
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single run. */
  std: number;
  /** Half-width of the 95 % confidence interval (Student's t); NaN for a single run. */
  ci95: number;
}

/** One parameter set's runs, summarised. */
export interface SweepGroupSummary {
  params: Record<string, string | number>;
  runs: number;
  metrics: Record<string, MetricSummary>;
}

/** A finished run as the summary needs it. */
export interface SummarizableRun {
  params: Record<string, string | number>;
  statistics: SumoStatistics;
}

/** The statistics a sweep summary shows unless told otherwise (paths into {@link SumoStatistics}). */
export const MAIN_STATISTICS = [
  'vehicleTripStatistics.timeLoss',
  'vehicleTripStatistics.duration',
  'vehicleTripStatistics.speed',
  'vehicleTripStatistics.waitingTime',
  'vehicleTripStatistics.departDelay',
  'vehicleTripStatistics.totalTravelTime',
  'vehicles.inserted',
  'teleports.total',
  'safety.collisions',
] as const;

/** Read `a.b` out of a statistics object; undefined when absent. */
export function statisticAt(statistics: SumoStatistics, path: string): number | undefined {
  let v: unknown = statistics;
  for (const key of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Group runs by parameter set (in first-seen order) and summarise each statistic: mean, sample
 * standard deviation and the half-width of the 95 % confidence interval of the mean.
 *
 * @example
 * const table = summarizeSweep(runs);           // runs from pool.sumo.sweep(...)
 * table[0].metrics['vehicleTripStatistics.timeLoss'].mean
 */
export function summarizeSweep(runs: Iterable<SummarizableRun>, metrics: readonly string[] = MAIN_STATISTICS): SweepGroupSummary[] {
  const groups = new Map<string, { params: Record<string, string | number>; runs: SummarizableRun[] }>();
  for (const run of runs) {
    const key = JSON.stringify(Object.entries(run.params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { params: run.params, runs: [] }));
    g.runs.push(run);
  }
  return [...groups.values()].map((g) => {
    const out: Record<string, MetricSummary> = {};
    for (const metric of metrics) {
      const values = g.runs.map((r) => statisticAt(r.statistics, metric)).filter((v): v is number => v !== undefined);
      if (values.length === 0) continue;
      const n = values.length;
      const mean = values.reduce((a, b) => a + b, 0) / n;
      const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
      out[metric] = { n, mean, std, ci95: n > 1 ? (studentT95(n - 1) * std) / Math.sqrt(n) : Number.NaN };
    }
    return { params: g.params, runs: g.runs.length, metrics: out };
  });
}
