import { classifySumoExit } from './classifySumoExit.ts';
import type { SumoExit } from './SumoExit.ts';
import { SumoProcess, type SumoProcessOptions } from './SumoProcess.ts';

/**
 * Runs a SUMO binary or tool to completion (`SUMO_HOME` set) and returns how it ended;
 * rejects with the classified error ({@link classifySumoExit}) when it failed.
 */
export async function runSumoCommand(binary: string, args: readonly string[], options: SumoProcessOptions & { signal?: AbortSignal }): Promise<SumoExit> {
  const running = new SumoProcess(binary, args, options);
  const onAbort = (): void => running.kill('SIGKILL');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const exit = await running.exited;
    options.signal?.throwIfAborted();
    const failure = classifySumoExit(exit);
    if (failure) throw failure;
    return exit;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
