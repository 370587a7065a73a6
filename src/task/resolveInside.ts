import { isAbsolute, normalize, resolve, sep } from 'node:path';

/** Longest relative path accepted (Linux's PATH_MAX). */
const MAX_PATH_LENGTH = 4096;
/** Longest single file or directory name, in bytes (Linux's NAME_MAX). */
const MAX_NAME_BYTES = 255;

/**
 * Resolve a relative path inside `root`, refusing anything that could land outside it: absolute
 * paths, `..` segments, NUL bytes, empty names, names longer than the file system takes. (Symlinks
 * are checked where files are written or read.)
 */
export function resolveInside(root: string, relative: string): string {
  if (typeof relative !== 'string' || relative === '' || relative.includes('\0')) {
    throw new Error(`invalid path ${JSON.stringify(relative)}: give a non-empty relative path`);
  }
  // Refused here with a clear message rather than as ENAMETOOLONG deep in a copy.
  if (relative.length > MAX_PATH_LENGTH) {
    throw new Error(`path ${JSON.stringify(relative.slice(0, 60))}... is ${relative.length} characters long, over ${MAX_PATH_LENGTH}`);
  }
  for (const part of relative.split(/[\\/]/)) {
    if (Buffer.byteLength(part) > MAX_NAME_BYTES) throw new Error(`path ${JSON.stringify(relative.slice(0, 60))} has a name over ${MAX_NAME_BYTES} bytes`);
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
