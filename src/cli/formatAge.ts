/** How long ago `atMs` (epoch ms) was, for listings: `42s`, `5m`, `3h`, `2d`; `-` for 0. */
export function formatAge(atMs: number, nowMs = Date.now()): string {
  if (atMs <= 0) return '-';
  const s = Math.max(0, Math.round((nowMs - atMs) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}
