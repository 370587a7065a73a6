import { lstat, realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import type { BlobRef } from './CommandSpec.ts';
import { resolveInside } from '../../task/resolveInside.ts';

/**
 * Upload the declared output files that exist. A declared output that is a symlink, a directory or
 * resolves outside the scratch directory is refused (it could expose the agent's files).
 */
export async function collectOutputs(
  dir: string,
  outputs: readonly string[],
  storeFile: (path: string) => Promise<BlobRef>,
): Promise<{ outputs: Record<string, BlobRef>; missing: string[] }> {
  const found: Record<string, BlobRef> = {};
  const missing: string[] = [];
  const root = await realpath(dir);
  for (const relative of outputs) {
    const path = resolveInside(dir, relative);
    let info;
    try {
      info = await lstat(path);
    } catch {
      missing.push(relative);
      continue;
    }
    if (!info.isFile()) throw new Error(`output ${JSON.stringify(relative)} is not a regular file (symlinks and directories are not collected)`);
    // A symlinked directory on the way (`out -> /etc`, output `out/passwd`) must not lead outside.
    const real = await realpath(path);
    if (!real.startsWith(root + sep)) throw new Error(`output ${JSON.stringify(relative)} resolves outside the task's scratch directory`);
    found[relative] = await storeFile(path);
  }
  return { outputs: found, missing };
}
