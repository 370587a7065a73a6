/**
 * A per-second rate with sensible precision: `0`, `0.42`, `7.5`, `1,240`.
 * @param {number} perSecond
 * @returns {string}
 */
export function formatRate(perSecond) {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '0';
  if (perSecond < 1) return perSecond.toFixed(2);
  if (perSecond < 100) return String(Math.round(perSecond * 10) / 10);
  return Math.round(perSecond).toLocaleString('en-US');
}
