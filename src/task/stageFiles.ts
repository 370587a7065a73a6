import { constants } from 'node:fs';
import { copyFile, mkdir, realpath } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import { resolveInside } from './resolveInside.ts';

/**
 * Copy blobs into a directory (usually `await context.scratchDir()`) under their relative names.
 * Copies, not links: a program may modify its inputs, and the agent's cache must stay intact.
 * Names that would land outside `dir` (absolute, `..`, through a symlink) or that already exist are
 * refused.
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
      // A symlinked directory on the way (`out -> /etc`, name `out/passwd`) must not lead outside.
      const [root, parent] = await Promise.all([realpath(dir), realpath(dirname(target))]);
      if (parent !== root && !parent.startsWith(root + sep)) {
        throw new Error(`staged file ${JSON.stringify(relative)} would be written outside the scratch directory (through a symlink)`);
      }
      // EXCL: never write through a symlink at the name itself, nor stage one name twice.
      await copyFile(cached, target, constants.COPYFILE_EXCL);
    }),
  );
}
