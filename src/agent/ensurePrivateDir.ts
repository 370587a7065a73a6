import { lstat, mkdir } from 'node:fs/promises';

/**
 * Create `dir` (and its parents) if missing, and make sure it is a directory owned by this user that
 * no one else can write to; throws `makeError(reason)` otherwise. The agent keeps verified bundles and
 * task scratch directories in such directories: a file another user swapped in there between
 * verification and use would run, or be read, unverified.
 */
export async function ensurePrivateDir(dir: string, makeError: (message: string) => Error): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) {
    throw makeError(`${dir} is not a directory owned by this user and closed to others; remove it or choose another directory`);
  }
}
