import { classifySumoExit } from './classifySumoExit.ts';
import { SumoError } from './errors/SumoError.ts';
import { pickFreePort } from './pickFreePort.ts';
import type { SumoExit } from './SumoExit.ts';
import { SumoProcess } from './SumoProcess.ts';
import { TraciClient } from './traci/TraciClient.ts';
import { TraciConnectionError } from './traci/TraciConnectionError.ts';

/** How to start a TraCI-controlled SUMO. */
export interface StartSumoWithTraciOptions {
  /** `sumo` on PATH by default. */
  sumoBinary?: string;
  /** SUMO's arguments, e.g. `['-c', 'scenario.sumocfg', '--seed', '7']`; `--remote-port` is added. */
  args: readonly string[];
  /** SUMO's working directory: relative output paths land here. */
  cwd: string;
  /** A fixed port. Without it, a free one is picked, and picked again if another process takes it first. */
  port?: number;
  /** Base environment; `SUMO_HOME` is added when missing. */
  env?: NodeJS.ProcessEnv;
  /** How long SUMO may take to load its scenario and open the port. Default 60 s. */
  connectTimeoutMs?: number;
  /** Start attempts when the connection fails (port races). Default 4. */
  attempts?: number;
  /** Aborting stops SUMO. */
  signal?: AbortSignal;
}

/** A SUMO process and the TraCI client driving it. */
export interface SumoWithTraci {
  client: TraciClient;
  process: SumoProcess;
  /**
   * Closes the client (SUMO then writes its outputs and exits), waits for the exit and returns it;
   * rejects with the classified error if SUMO failed.
   */
  finish(): Promise<SumoExit>;
  /** Ends SUMO whatever state it is in; for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** The version handshake must come back quickly once TCP is up, or we are talking to a SUMO that is not ours. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** After a lost connection, how long to wait for SUMO's exit to explain it. */
const EXIT_EXPLAIN_WAIT_MS = 3_000;

/**
 * Starts SUMO with `--remote-port`, connects a {@link TraciClient} (retrying while SUMO loads) and
 * checks the TraCI version. A port race (the picked port taken before SUMO binds it) is retried with
 * a new port. Failures are classified: {@link SumoScenarioError} (SUMO refused the input, not
 * retryable), {@link SumoCrashError}, {@link TraciConnectionError} (retryable).
 *
 * @example
 * await using sumo = await startSumoWithTraci({ args: ['-c', cfg, '--seed', '1'], cwd: dir });
 * while ((await sumo.client.simulation.getMinExpectedVehicles()) > 0) await sumo.client.simulationStep();
 * await sumo.finish();
 */
export async function startSumoWithTraci(options: StartSumoWithTraciOptions): Promise<SumoWithTraci> {
  const attempts = options.port === undefined ? (options.attempts ?? 4) : 1;
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await startOnce(options, options.port ?? (await pickFreePort()));
    } catch (error) {
      lastError = error as Error;
      // Only connection trouble is worth a new port; a refused scenario or a crash is reported as is.
      if (!(error instanceof TraciConnectionError) || options.signal?.aborted) throw error;
    }
  }
  throw lastError;
}

async function startOnce(options: StartSumoWithTraciOptions, port: number): Promise<SumoWithTraci> {
  const sumo = new SumoProcess(options.sumoBinary ?? 'sumo', [...options.args, '--remote-port', String(port)], {
    cwd: options.cwd,
    env: options.env,
  });
  // SUMO exiting while we connect ends the attempt with the reason it gives.
  const gaveUp = new AbortController();
  void sumo.exited.then((exit) => {
    gaveUp.abort(
      classifySumoExit(exit) ??
        new TraciConnectionError(`${exit.command} exited before a TraCI client connected on port ${port}`, { port }),
    );
  });
  const onAbort = (): void => void sumo.stop();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const explainDisconnect = async (lost: TraciConnectionError): Promise<Error> => {
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      sumo.exited,
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), EXIT_EXPLAIN_WAIT_MS))),
    ]).finally(() => clearTimeout(timer));
    if (!exit) return lost;
    const failure = classifySumoExit(exit);
    if (failure === undefined) return lost;
    // Keep the classification (crash vs scenario) but say what the client saw.
    Object.defineProperty(failure, 'cause', { value: lost, configurable: true, writable: true });
    return failure;
  };

  let client: TraciClient | undefined;
  try {
    const signals = options.signal ? AbortSignal.any([gaveUp.signal, options.signal]) : gaveUp.signal;
    client = await TraciClient.connect({ port, timeoutMs: options.connectTimeoutMs ?? 60_000, signal: signals, explainDisconnect });
    await client.getVersion({ timeoutMs: HANDSHAKE_TIMEOUT_MS });
  } catch (error) {
    options.signal?.removeEventListener('abort', onAbort);
    if (client) await client[Symbol.asyncDispose]();
    const exit = await sumo.stop();
    if (error instanceof SumoError) throw error;
    throw classifySumoExit(exit) ?? new TraciConnectionError(`could not drive SUMO over TraCI on port ${port}: ${(error as Error).message}`, { port, cause: error });
  }

  const connected = client;
  // If our SUMO dies while the client still talks to a SUMO, that SUMO is someone else's (the port
  // race won by another start): hang up so the error surfaces instead of driving a foreign run.
  void sumo.exited.then(() => {
    if (!connected.closed) void connected[Symbol.asyncDispose]();
  });

  let finished: Promise<SumoExit> | undefined;
  const finish = (): Promise<SumoExit> =>
    (finished ??= (async () => {
      options.signal?.removeEventListener('abort', onAbort);
      await connected.close();
      const timer = setTimeout(() => sumo.kill('SIGKILL'), 30_000);
      const exit = await sumo.exited.finally(() => clearTimeout(timer));
      const failure = classifySumoExit(exit);
      if (failure) throw failure;
      return exit;
    })());

  return {
    client: connected,
    process: sumo,
    finish,
    async [Symbol.asyncDispose]() {
      options.signal?.removeEventListener('abort', onAbort);
      await connected[Symbol.asyncDispose]();
      await sumo.stop();
    },
  };
}
