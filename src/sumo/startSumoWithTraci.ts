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
  /**
   * Where ports come from when `port` is not fixed. Default {@link pickFreePort}; an agent may hand
   * out ports from its own range instead, which avoids the race altogether.
   */
  pickPort?: () => Promise<number>;
  /** How long the version handshake may take once TCP is connected. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** Base environment; `SUMO_HOME` is added when missing. */
  env?: NodeJS.ProcessEnv;
  /** How long SUMO may take to load its scenario and open the port. Default 60 s. */
  connectTimeoutMs?: number;
  /** Start attempts when the connection fails (port races). Default 4. */
  attempts?: number;
  /** Aborting stops SUMO. */
  signal?: AbortSignal;
  /** Run SUMO in its own process group and report its pid (see `SumoProcessOptions.onSpawn`). */
  onSpawn?: (pid: number) => void;
}

/** A SUMO process and the TraCI client driving it. */
export interface SumoWithTraci {
  client: TraciClient;
  process: SumoProcess;
  /** The TraCI port SUMO listens on. */
  port: number;
  /** Starts it took (more than 1 after a port race). */
  attempts: number;
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
      const port = options.port ?? (await (options.pickPort ?? pickFreePort)());
      return { ...(await startOnce(options, port)), attempts: attempt };
    } catch (error) {
      lastError = error as Error;
      // Only connection trouble is worth a new port; a refused scenario or a crash is reported as is.
      if (!(error instanceof TraciConnectionError) || options.signal?.aborted) throw error;
    }
  }
  throw lastError;
}

async function startOnce(options: StartSumoWithTraciOptions, port: number): Promise<Omit<SumoWithTraci, 'attempts'>> {
  const sumo = new SumoProcess(options.sumoBinary ?? 'sumo', [...options.args, '--remote-port', String(port)], {
    cwd: options.cwd,
    env: options.env,
    ...(options.onSpawn ? { onSpawn: options.onSpawn } : {}),
  });
  // SUMO exiting while we connect ends the attempt with the reason it gives.
  const gaveUp = new AbortController();
  void sumo.exited.then((exit) => {
    gaveUp.abort(
      classifySumoExit(exit) ??
        new TraciConnectionError(`${exit.command} exited before a TraCI client connected on port ${port}`, { port }),
    );
  });
  // SUMO blocked on its TraCI socket ignores SIGTERM; an aborted run's outputs are not wanted anyway.
  const onAbort = (): void => sumo.kill('SIGKILL');
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const explainDisconnect = async (lost: TraciConnectionError): Promise<Error> => {
    if (options.signal?.aborted) return options.signal.reason as Error;
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
    // Connected, but possibly to a SUMO that is not ours (it won the port): our SUMO then exits
    // with "Address already in use", and hanging up turns the waiting handshake into that error.
    const connectedClient = client;
    const hangUp = (): void => connectedClient.destroy('our SUMO exited: the TraCI port belongs to another process');
    signals.addEventListener('abort', hangUp, { once: true });
    try {
      await client.getVersion({ timeoutMs: options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS });
    } finally {
      signals.removeEventListener('abort', hangUp);
    }
  } catch (error) {
    options.signal?.removeEventListener('abort', onAbort);
    client?.destroy();
    // Only an exit SUMO made on its own explains anything; the one our stop() causes does not.
    const ownExit = sumo.exit;
    await sumo.stop(500);
    if (options.signal?.aborted) throw options.signal.reason;
    const failure = ownExit && classifySumoExit(ownExit);
    if (failure) throw failure;
    if (error instanceof SumoError) throw error;
    throw new TraciConnectionError(`could not drive SUMO over TraCI on port ${port}: ${(error as Error).message}`, { port, cause: error });
  }

  const connected = client;
  // If our SUMO dies while the client still talks to a SUMO, that SUMO is someone else's (the port
  // race won by another start): hang up so the error surfaces instead of driving a foreign run.
  void sumo.exited.then(() => {
    if (!connected.closed) connected.destroy('our SUMO exited while the client was still connected to a SUMO on its port');
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
    port,
    finish,
    async [Symbol.asyncDispose]() {
      options.signal?.removeEventListener('abort', onAbort);
      // Closing the client lets SUMO end by itself (writing its outputs); kill it only if it does not.
      await connected[Symbol.asyncDispose]();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([sumo.exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]);
      clearTimeout(timer);
      await sumo.stop(1_000);
    },
  };
}
