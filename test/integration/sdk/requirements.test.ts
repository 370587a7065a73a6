// A task needing k cpus takes k pool slots; one needing more than any agent has fails fast.
import { describe, expect, it } from 'vitest';
import { TaskError } from '../../../src/sdk/index.ts';
import { usePoolOnCluster } from '../usePoolOnCluster.ts';

const env = usePoolOnCluster({ agents: 1, processes: 2 });

describe('cpus requirement', () => {
  it('runs 1-cpu tasks two at a time on a 2-slot agent, but 2-cpu tasks one at a time', async () => {
    const overlaps = (spans: { start: number; end: number }[]) =>
      spans.some((a, i) => spans.some((b, j) => i < j && a.start < b.end - 20 && b.start < a.end - 20));
    const narrow = await env.pool.map(env.tasks.span, [400, 400], { chunksize: 1 });
    expect(overlaps(narrow)).toBe(true);
    const wide = await env.pool.map(env.tasks.span, [400, 400], { chunksize: 1, requires: { cpus: 2 } });
    expect(overlaps(wide)).toBe(false);
  });

  it('fails fast, naming the requirement, when no agent has that many slots', async () => {
    const err = (await env.pool.map(env.tasks.square, [1], { requires: { cpus: 3 } }).catch((e: unknown) => e)) as TaskError;
    expect(err).toBeInstanceOf(TaskError);
    expect(err.kind).toBe('unschedulable');
    expect(err.message).toMatch(/cpus/);
  });
});
