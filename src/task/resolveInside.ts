import { isAbsolute, normalize, resolve, sep } from 'node:path';

/**
 * Resolve a relative path inside `root`, refusing anything that could land outside it: absolute
 * paths, `..` segments, NUL bytes, empty names. (Symlinks are checked where files are read.)
 */
export function resolveInside(root: string, relative: string): string {
  if (typeof relative !== 'string' || relative === '' || relative.includes('\0')) {
    throw new Error(`invalid path ${JSON.stringify(relative)}: give a non-empty relative path`);
  }
  if (isAbsolute(relative) || /^[a-zA-Z]:[\\/]/.test(relative)) {
    throw new Error(`path ${JSON.stringify(relative)} is absolute: paths are relative to the task's scratch directory`);
  }
  const parts = normalize(relative).split(/[\\/]/);
  if (parts.includes('..')) {
    throw new Error(`path ${JSON.stringify(relative)} leaves the task's scratch directory`);
  }
  const full = resolve(root, relative);
  if (full !== root && !full.startsWith(root.endsWith(sep) ? root : root + sep)) {
    throw new Error(`path ${JSON.stringify(relative)} leaves the task's scratch directory`);
  }
  return full;
}
