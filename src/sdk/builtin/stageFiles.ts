import { copyFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { resolveInside } from './resolveInside.ts';

/**
 * Copy blobs into a directory under their relative names (a copy, not a link: the command may
 * modify its inputs, and the agent's cache must stay intact).
 */
export async function stageFiles(
  dir: string,
  files: Record<string, string>,
  fetchBlob: (digest: string) => Promise<string>,
): Promise<void> {
  await Promise.all(
    Object.entries(files).map(async ([relative, digest]) => {
      const target = resolveInside(dir, relative);
      const cached = await fetchBlob(digest);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(cached, target);
    }),
  );
}
