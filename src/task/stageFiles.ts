import { copyFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { resolveInside } from './resolveInside.ts';

/**
 * Copy blobs into a directory (usually `await context.scratchDir()`) under their relative names.
 * Copies, not links: a program may modify its inputs, and the agent's cache must stay intact.
 * Names that would land outside `dir` (absolute, `..`) are refused.
 *
 * @example
 * const dir = await context.scratchDir();
 * await stageFiles(dir, { 'net.net.xml': netDigest, 'routes/a.rou.xml': routeDigest });
 */
export async function stageFiles(dir: string, files: Record<string, string>, fetchBlob: (digest: string) => Promise<string>): Promise<void> {
  await Promise.all(
    Object.entries(files).map(async ([relative, digest]) => {
      const target = resolveInside(dir, relative);
      const cached = await fetchBlob(digest);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(cached, target);
    }),
  );
}
