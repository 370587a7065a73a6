// Task functions drover ships itself: command tasks and SUMO runs. The SDK bundles this module like
// any task module; it runs in agents' worker processes.
import { spawn } from 'node:child_process';
import { context, resolveInside, RetryableError, stageFiles } from 'drover/task';
import { runSumo, sumoEnvironment, type SumoStatistics } from '../../sumo/index.ts';
import { OutputTail } from '../../sumo/OutputTail.ts';
import { collectOutputs } from './collectOutputs.ts';
import type { BlobRef, CommandResult, WireCommandSpec } from './CommandSpec.ts';

/** A command that failed with `check` set; `retryable` when it was killed by a signal. */
class CommandFailedError extends Error {
  override name = 'CommandFailedError';
  code = 'DROVER_COMMAND_FAILED';
  retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.retryable = retryable;
  }
}

/** Run one command in a fresh scratch directory with its inputs staged; collect its outputs. */
export async function runCommand(spec: WireCommandSpec): Promise<CommandResult> {
  const dir = await context.scratchDir();
  await stageFiles(dir, spec.inputs);
  const cwd = spec.cwd ? resolveInside(dir, spec.cwd) : dir;
  const started = performance.now();
  const stdout = new OutputTail();
  const stderr = new OutputTail();
  const { exitCode, signal } = await new Promise<{ exitCode: number | null; signal: string | null }>((resolve, reject) => {
    // Its own process group, tracked by the agent: killed with the task on timeout, cancel or crash.
    const child = spawn(spec.command, spec.args, {
      cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const untrack = child.pid !== undefined ? context.trackChildProcess(child.pid) : () => {};
    const onAbort = () => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    context.signal.addEventListener('abort', onAbort, { once: true });
    child.stdout!.on('data', (c: Buffer) => stdout.push(c));
    child.stderr!.on('data', (c: Buffer) => stderr.push(c));
    child.once('error', (err) => {
      untrack();
      context.signal.removeEventListener('abort', onAbort);
      reject(new Error(`could not start ${spec.command}: ${err.message}`, { cause: err }));
    });
    child.once('close', (code, sig) => {
      untrack();
      context.signal.removeEventListener('abort', onAbort);
      resolve({ exitCode: code, signal: sig });
    });
  });
  const wallMs = performance.now() - started;
  if (spec.check && exitCode !== 0) {
    const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    throw new CommandFailedError(`${spec.command} ${how}\n${stderr.text.slice(-2000)}`, signal !== null);
  }
  const collected = await collectOutputs(dir, spec.outputs, (p) => context.storeFile(p));
  if (spec.keepScratch) context.keepScratch();
  return {
    exitCode,
    signal,
    stdoutTail: stdout.text,
    stderrTail: stderr.text,
    wallMs,
    outputs: collected.outputs,
    missingOutputs: collected.missing,
    agent: context.agent,
    worker: context.worker,
    ...(spec.keepScratch ? { scratchDir: dir } : {}),
  };
}

/** One SUMO run of a sweep, as sent to an agent. */
export interface WireSumoRun {
  /** Scenario files: relative path → digest. */
  files: Record<string, string>;
  /** The `.sumocfg`, relative to the scenario's root. */
  config: string;
  seed: number;
  params: Record<string, string | number>;
  /** Further SUMO arguments. */
  args: string[];
  /** SUMO output files to collect, relative to the scenario root (e.g. ask for them in `args`). */
  outputs: string[];
  keepScratch: boolean;
}

/** A finished SUMO run. */
export interface SumoRunResult {
  seed: number;
  params: Record<string, string | number>;
  statistics: SumoStatistics;
  outputs: Record<string, BlobRef>;
  wallMs: number;
  agent: string;
  worker: string;
}

/**
 * Run SUMO on a staged scenario with a seed, with each parameter given as a SUMO option
 * (`{ scale: 1.5 }` → `--scale 1.5`); parse `--statistic-output`. A SUMO crash or a TraCI port race is
 * retryable (the cluster runs it again); a scenario SUMO refuses is not.
 */
export async function runSumoScenario(run: WireSumoRun): Promise<SumoRunResult> {
  const dir = await context.scratchDir();
  await stageFiles(dir, run.files);
  const paramArgs = Object.entries(run.params).flatMap(([name, value]) => [`--${name}`, String(value)]);
  const started = performance.now();
  const untrack: (() => void)[] = [];
  let result;
  try {
    result = await runSumo({
      cfg: resolveInside(dir, run.config),
      seed: run.seed,
      args: [...paramArgs, ...run.args],
      workDir: dir,
      env: sumoEnvironment(),
      signal: context.signal,
      onSpawn: (pid) => untrack.push(context.trackChildProcess(pid)),
    });
  } catch (err) {
    // SUMO's own errors say whether another attempt may succeed (a crash, a port race).
    const retryable = (err as { retryable?: unknown }).retryable === true;
    throw retryable ? new RetryableError((err as Error).message, { cause: err }) : err;
  } finally {
    for (const u of untrack) u();
  }
  const collected = await collectOutputs(dir, run.outputs, (p) => context.storeFile(p));
  if (run.keepScratch) context.keepScratch();
  return {
    seed: run.seed,
    params: run.params,
    statistics: result.statistics,
    outputs: collected.outputs,
    wallMs: performance.now() - started,
    agent: context.agent,
    worker: context.worker,
  };
}
