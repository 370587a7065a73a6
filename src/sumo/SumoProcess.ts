import { spawn, type ChildProcess } from 'node:child_process';
import { basename } from 'node:path';
import { OutputTail } from './OutputTail.ts';
import { sumoEnvironment } from './sumoEnvironment.ts';
import type { SumoExit } from './SumoExit.ts';

/** How to start a SUMO binary or tool. */
export interface SumoProcessOptions {
  cwd: string;
  /** Base environment; `SUMO_HOME` is added when missing. */
  env?: NodeJS.ProcessEnv;
  /**
   * Start the process in its own process group and report it, so that whoever runs this (a drover
   * worker) can kill the group if the run is abandoned (timeout, cancel, crash of the worker).
   */
  onSpawn?: (pid: number) => void;
}

/**
 * A running SUMO (or netconvert, netgenerate, python tool) with bounded tails of its output and
 * a promise of how it ended. The output is always drained, so a chatty SUMO never blocks on a full pipe.
 */
export class SumoProcess {
  readonly child: ChildProcess;
  /** What ran, for messages. */
  readonly command: string;
  /** Resolves when the process has exited (never rejects; a spawn failure is in `spawnError`). */
  readonly exited: Promise<SumoExit>;
  readonly #stdout = new OutputTail();
  readonly #stderr = new OutputTail();
  #exit: SumoExit | undefined;

  constructor(binary: string, args: readonly string[], options: SumoProcessOptions) {
    const started = performance.now();
    this.command = [basename(binary), ...args.slice(0, 2)].join(' ');
    this.child = spawn(binary, args, {
      cwd: options.cwd,
      env: sumoEnvironment(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.onSpawn !== undefined,
    });
    if (options.onSpawn && this.child.pid !== undefined) options.onSpawn(this.child.pid);
    this.child.stdout!.on('data', (chunk: Buffer) => this.#stdout.push(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => this.#stderr.push(chunk));
    this.exited = new Promise<SumoExit>((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
        if (this.#exit) return;
        this.#exit = {
          command: this.command,
          code,
          signal,
          stdoutTail: this.#stdout.text,
          stderrTail: this.#stderr.text,
          wallMs: performance.now() - started,
          ...(spawnError ? { spawnError } : {}),
        };
        resolve(this.#exit);
      };
      this.child.once('error', (error) => finish(null, null, error));
      // 'close' (not 'exit') so the output pipes are fully read before the tails are taken.
      this.child.once('close', (code, signal) => finish(code, signal));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** How it ended, once it has. */
  get exit(): SumoExit | undefined {
    return this.#exit;
  }

  get stderrTail(): string {
    return this.#stderr.text;
  }

  get stdoutTail(): string {
    return this.#stdout.text;
  }

  /** Signals the process if it is still running. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.#exit && this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** Kills it (SIGKILL after `graceMs`) and waits for the exit. */
  async stop(graceMs = 2000): Promise<SumoExit> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
