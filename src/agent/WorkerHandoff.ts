import { closeSync, constants, fstatSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { handoffFileName } from './worker/handoffFileName.ts';
import { writeNewFile } from './worker/writeNewFile.ts';

/** `handoff-<agent pid>-XXXXXX`: the pid tells a later agent whether the directory's owner is gone. */
const DIR_PATTERN = /^handoff-(\d+)-[A-Za-z0-9]{6}$/;
/** What the worker may name as a result file: its own `out.` files only, never a path. */
const RESULT_NAME = /^out\.[A-Za-z0-9._-]{1,200}$/;

/**
 * One worker process's handoff directory, `<workDir>/handoff-<agent pid>-XXXXXX` (mode 0700): the agent
 * puts a task input larger than `HANDOFF_BYTES` there (`in.<attempt id>`; the worker reads and removes it
 * as it receives the task) and the worker puts such a result there (`out.<attempt id>`; the agent reads
 * and removes it). The IPC message then carries the file's name instead of the bytes.
 *
 * Why: through the pipe a 1 MiB value was copied five times in the agent's process (the structured
 * clone, the 64 KiB reads, their concatenation, the clone read back), each time into a new ArrayBuffer,
 * and that churn made V8 collect the whole heap every few dozen megabytes. As a file it is written once
 * and read once (1 MiB values: the agent's CPU per value down by a third; X1 in docs/benchmarks.md).
 *
 * Only for workers running as the agent's own user. A worker of another user would own its directory and
 * could plant links where the agent (root) writes or reads; those workers keep the pipe. Even so the agent
 * creates input files exclusively and opens result files without following links.
 *
 * The directory goes with its worker ({@link remove}); those a killed agent left are removed by the next
 * agent that uses the same work directory ({@link sweep}).
 *
 * @example
 * const handoff = WorkerHandoff.create(workDir); // undefined: use the pipe
 * const name = handoff?.writeInput(attemptId, payload); // sent as `payloadFile`
 * const value = handoff.readResult(message.valueFile); // the worker's `out.` file, removed
 */
export class WorkerHandoff {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * A new handoff directory under `workDir` (created if missing), or undefined when `workDir` is not a
   * directory of this user's that no one else can write to, or the directory cannot be made: the worker
   * then gets everything through the pipe, as it would anyway.
   */
  static create(workDir: string): WorkerHandoff | undefined {
    try {
      mkdirSync(workDir, { recursive: true, mode: 0o700 });
      const st = lstatSync(workDir);
      const uid = process.getuid?.();
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) return undefined;
      return new WorkerHandoff(mkdtempSync(join(workDir, `handoff-${process.pid}-`)));
    } catch {
      return undefined;
    }
  }

  /** Removes the handoff directories under `workDir` whose agent (by the pid in the name) is no longer running. */
  static sweep(workDir: string): void {
    let names: string[];
    try {
      names = readdirSync(workDir);
    } catch {
      return;
    }
    for (const name of names) {
      const pid = DIR_PATTERN.exec(name)?.[1];
      if (pid === undefined || Number(pid) === process.pid || isRunning(Number(pid))) continue;
      rmSync(join(workDir, name), { recursive: true, force: true });
    }
  }

  /**
   * Writes a task's input for the worker; returns the file's name, or undefined when it could not be
   * written (disk full, a file of that name already there): the caller then sends the bytes.
   */
  writeInput(attemptId: string, payload: Uint8Array): string | undefined {
    const name = handoffFileName('in', attemptId);
    return writeNewFile(join(this.dir, name), payload) ? name : undefined;
  }

  /**
   * Reads and removes the result file the worker named. Throws when the name is not one of the worker's
   * `out.` files, or it is not a regular file of its own (a link), or cannot be read.
   */
  readResult(name: string): Uint8Array {
    if (!RESULT_NAME.test(name)) throw new Error(`the worker named ${JSON.stringify(name.slice(0, 100))} as its result file`);
    const path = join(this.dir, name);
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.nlink !== 1) throw new Error(`${path} is not a plain file of its own`);
      const bytes = Buffer.allocUnsafeSlow(st.size);
      let at = 0;
      while (at < bytes.length) {
        const n = readSync(fd, bytes, at, bytes.length - at, at);
        if (n === 0) throw new Error(`${path} ended after ${at} of its ${st.size} bytes`);
        at += n;
      }
      return bytes;
    } finally {
      closeSync(fd);
      try {
        unlinkSync(path);
      } catch {
        // Gone with the directory, at the latest.
      }
    }
  }

  /** Removes the directory and whatever is left in it (the worker has exited). */
  remove(): void {
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch {
      // Left for the next agent's sweep.
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
