/**
 * CLI surface the deployment files and docs use that other branches are adding right now (the lead's
 * shared CLI decisions: tokens, TLS, agent HTTP side, log level, admin commands). The checks in
 * test/deploy and test/docs accept these while they are missing, and fail once one exists, so that this
 * list shrinks to nothing as the branches are merged: delete an entry when its test says so.
 */
export const PENDING_CLI: {
  readonly commands: readonly string[];
  readonly options: Readonly<Record<string, readonly string[]>>;
  readonly env: readonly string[];
} = {
  /** Whole commands not in this branch yet. */
  commands: [],
  /** Options not in this branch yet, by command. */
  options: {
  },
  /** Environment variables not read anywhere in src/ yet. */
  env: [],
};
