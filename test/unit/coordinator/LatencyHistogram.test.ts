// The allocation-free histogram behind the task latency metrics: buckets, sum and count as Prometheus
// expects them (cumulative, +Inf = count).
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../../src/coordinator/http/LatencyHistogram.ts';

describe('LatencyHistogram', () => {
  it('exposes cumulative buckets, +Inf, sum and count in the text format', async () => {
    const registry = new Registry();
    const histogram = new LatencyHistogram({ name: 'test_seconds', help: 'Test.', buckets: [0.001, 0.01, 1, 10], registers: [registry] });
    for (const seconds of [0.0005, 0.001, 0.003, 0.5, 2, 5000]) histogram.record(seconds);
    histogram.record(-1);
    histogram.record(Number.NaN);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE test_seconds histogram');
    expect(text).toContain('test_seconds_bucket{le="0.001"} 2\n');
    expect(text).toContain('test_seconds_bucket{le="0.01"} 3\n');
    expect(text).toContain('test_seconds_bucket{le="1"} 4\n');
    expect(text).toContain('test_seconds_bucket{le="10"} 5\n');
    expect(text).toContain('test_seconds_bucket{le="+Inf"} 6\n');
    expect(text).toContain('test_seconds_count 6');
    const sum = Number(/^test_seconds_sum (\S+)$/m.exec(text)?.[1]);
    expect(sum).toBeCloseTo(5002.5045, 6);
    expect(histogram.count).toBe(6);

    histogram.reset();
    expect(await registry.metrics()).toContain('test_seconds_bucket{le="+Inf"} 0\n');
  });
});
