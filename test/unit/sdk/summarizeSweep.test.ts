import { describe, expect, it } from 'vitest';
import { studentT95 } from '../../../src/sdk/sumo/studentT95.ts';
import { summarizeSweep } from '../../../src/sdk/sumo/summarizeSweep.ts';
import type { SumoStatistics } from '../../../src/sumo/index.ts';

const stats = (timeLoss: number, inserted = 100): SumoStatistics =>
  ({ vehicles: { inserted }, teleports: {}, safety: {}, vehicleTripStatistics: { timeLoss } }) as SumoStatistics;

describe('summarizeSweep', () => {
  it('groups by parameter set regardless of key order and computes mean, sample std and the t-based 95 % CI', () => {
    const table = summarizeSweep([
      { params: { scale: 1, tls: 'a' }, statistics: stats(10) },
      { params: { tls: 'a', scale: 1 }, statistics: stats(12) },
      { params: { scale: 1, tls: 'a' }, statistics: stats(14) },
      { params: { scale: 2, tls: 'a' }, statistics: stats(30) },
    ]);
    expect(table).toHaveLength(2);
    const first = table[0]!.metrics['vehicleTripStatistics.timeLoss']!;
    expect(table[0]!.runs).toBe(3);
    expect(first.mean).toBeCloseTo(12);
    expect(first.std).toBeCloseTo(2); // sample std of 10, 12, 14
    expect(first.ci95).toBeCloseTo((4.303 * 2) / Math.sqrt(3), 6);
    const single = table[1]!.metrics['vehicleTripStatistics.timeLoss']!;
    expect(single.n).toBe(1);
    expect(single.std).toBe(0);
    expect(single.ci95).toBeNaN();
    // A statistic no run reported is left out rather than shown as 0.
    expect(table[0]!.metrics['safety.collisions']).toBeUndefined();
  });

  it('uses Student t values that approach the normal quantile', () => {
    expect(studentT95(1)).toBe(12.706);
    expect(studentT95(31)).toBeGreaterThan(2.021);
    expect(studentT95(31)).toBeLessThan(2.042);
    expect(studentT95(10_000)).toBeCloseTo(1.96, 2);
  });
});
