/**
 * What a long-running drover process (coordinator, agent, local) re-executes itself with: the V8
 * flags the user did not set (in `execArgv` or `env.NODE_OPTIONS`), and the environment to run with
 * (glibc malloc settings, and the marks described in longRunningSettings.js). Undefined when this
 * process already is the re-executed one.
 */
export function longRunningSettings(
  execArgv: readonly string[],
  env: NodeJS.ProcessEnv,
): { v8Flags: string[]; env: NodeJS.ProcessEnv } | undefined;
