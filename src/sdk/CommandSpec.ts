/** A command to run on an agent (`pool.exec`), with files staged in and collected back. */
export interface CommandSpec {
  /** Executable, looked up on the agent's PATH. */
  command: string;
  args?: string[];
  /** Added to the agent's environment. */
  env?: Record<string, string>;
  /**
   * Files staged into the task's fresh scratch directory before it runs: relative path → a local
   * file path (uploaded once by content), bytes, or the digest of a blob already uploaded.
   */
  inputs?: Record<string, string | Uint8Array | { digest: string }>;
  /** Files to collect after the run, relative to the scratch directory. */
  outputs?: string[];
  /** Working directory, relative to the scratch directory. */
  cwd?: string;
  /** Keep the scratch directory on the agent (for debugging); its path is in the result. */
  keepScratch?: boolean;
  /** Reject with a `TaskError` when the command exits non-zero or is killed. Default false: look at `exitCode`. */
  check?: boolean;
}
