/**
 * Memory given in MiB, in the largest unit that keeps it readable: `512 MiB`, `15.6 GiB`.
 * @param {number} mb
 * @returns {string}
 */
export function formatMemory(mb) {
  if (!Number.isFinite(mb) || mb <= 0) return '–';
  if (mb < 1024) return `${Math.round(mb)} MiB`;
  const gb = mb / 1024;
  return gb < 1024 ? `${gb.toFixed(gb < 10 ? 1 : 0)} GiB` : `${(gb / 1024).toFixed(1)} TiB`;
}
