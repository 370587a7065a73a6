import { chmod, chown, lstat, mkdir } from 'node:fs/promises';

/**
 * Create `dir` (and its parents) if missing, and make sure it is a directory owned by this user that
 * no one else can write to; throws `makeError(reason)` otherwise. The agent keeps verified bundles and
 * task scratch directories in such directories: a file another user swapped in there between
 * verification and use would run, or be read, unverified. With `group` (workers running as another
 * user), the directory is given to that group with mode 0710: its members may reach files whose
 * names they know, never list or write it.
 */
export async function ensurePrivateDir(dir: string, makeError: (message: string) => Error, group?: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (group !== undefined) {
    const st = await lstat(dir);
    if (st.isDirectory() && st.uid === process.getuid?.()) {
      await chown(dir, st.uid, group);
      await chmod(dir, 0o710);
    }
  }
  const st = await lstat(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) {
    throw makeError(`${dir} is not a directory owned by this user and closed to others; remove it or choose another directory`);
  }
}
