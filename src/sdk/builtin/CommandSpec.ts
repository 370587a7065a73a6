/** A blob already in the coordinator's store. */
export interface BlobRef {
  digest: string;
  size: number;
}

/** What the SDK sends to an agent to run one command (all local files already uploaded). */
export interface WireCommandSpec {
  command: string;
  args: string[];
  /** Added to the agent's environment. */
  env: Record<string, string>;
  /** Files staged into the scratch directory before the run: relative path → blob digest. */
  inputs: Record<string, string>;
  /** Files collected after the run, relative to the scratch directory. */
  outputs: string[];
  /** Working directory relative to the scratch directory ('' = the scratch directory). */
  cwd: string;
  /** Leave the scratch directory on the agent (its path is in the result). */
  keepScratch: boolean;
  /** Fail the task (a `TaskError`) when the command exits non-zero or is killed. */
  check: boolean;
}

/** How a command ran. */
export interface CommandResult {
  /** Exit code, or null when killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  /** Last 8 KiB of standard output and error. */
  stdoutTail: string;
  stderrTail: string;
  wallMs: number;
  /** Declared outputs that exist, by relative path: download with `pool.downloadBlob`. */
  outputs: Record<string, BlobRef>;
  /** Declared outputs the command did not write. */
  missingOutputs: string[];
  agent: string;
  worker: string;
  /** Set when `keepScratch` was asked for. */
  scratchDir?: string;
}
