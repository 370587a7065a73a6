/**
 * cgroup v1 writes "no limit" as LLONG_MAX rounded down to a page (9223372036854771712); anything this
 * large is no limit, whatever the page size.
 */
const UNLIMITED_FROM = 2 ** 62;

/**
 * The memory limit in bytes of a cgroup v2 `memory.max` (`"max"` = none) or v1 `memory.limit_in_bytes`
 * file. Undefined when there is no limit or the text is not understood.
 */
export function parseCgroupMemoryLimit(text: string): number | undefined {
  const t = text.trim();
  if (t === '' || t === 'max' || !/^\d+$/.test(t)) return undefined;
  const bytes = Number(t);
  if (!(bytes > 0) || bytes >= UNLIMITED_FROM) return undefined;
  return bytes;
}
