/** cgroup v1/v2 default CFS period, used when `cpu.max` names only a quota. */
const DEFAULT_PERIOD_US = 100_000;

/**
 * The CPU limit of a cgroup v2 `cpu.max` file (`"<quota> <period>"`, or `"max <period>"` for none),
 * in cores: `"150000 100000"` → 1.5. Undefined when there is no limit or the text is not understood.
 */
export function parseCgroupCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max') return undefined;
  const q = Number(quota);
  const p = period === undefined ? DEFAULT_PERIOD_US : Number(period);
  if (!(q > 0) || !(p > 0)) return undefined;
  return q / p;
}
