/**
 * The CPU limit of a cgroup v1 CFS pair (`cpu.cfs_quota_us`, `cpu.cfs_period_us`), in cores:
 * `("50000", "100000")` → 0.5. Undefined when unlimited (quota `-1`) or not understood.
 */
export function parseCgroupCfsQuota(quotaText: string, periodText: string): number | undefined {
  const q = Number(quotaText.trim());
  const p = Number(periodText.trim());
  if (!(q > 0) || !(p > 0)) return undefined;
  return q / p;
}
