import { closeSync, openSync, rmSync, writeSync } from 'node:fs';

/**
 * Writes `bytes` to a new file at `path` (mode 0600): created exclusively, so never through a link or
 * over a file already there. False when that failed (the name taken, the disk full); nothing is left
 * behind then. Both ends of a worker's handoff directory write with it (see `WorkerHandoff`).
 */
export function writeNewFile(path: string, bytes: Uint8Array): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch {
    return false;
  }
  try {
    for (let at = 0; at < bytes.byteLength;) at += writeSync(fd, bytes, at, bytes.byteLength - at);
    return true;
  } catch {
    rmSync(path, { force: true });
    return false;
  } finally {
    closeSync(fd);
  }
}
