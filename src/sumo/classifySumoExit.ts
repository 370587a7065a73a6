import { SumoCrashError } from './errors/SumoCrashError.ts';
import { SumoError } from './errors/SumoError.ts';
import { SumoScenarioError } from './errors/SumoScenarioError.ts';
import type { SumoExit } from './SumoExit.ts';
import { TraciConnectionError } from './traci/TraciConnectionError.ts';

/** Messages of SUMO dying from its own failure rather than from its input. */
const CRASH_PATTERN = /bad_alloc|std::exception|Quitting \(on unknown error\)|Segmentation fault|terminate called|core dumped/i;
/** The port chosen for `--remote-port` was taken by someone else first (sumo#4232). */
const PORT_TAKEN_PATTERN = /Address already in use|Unable to create listening socket/i;
/** SUMO lost its TraCI client (e.g. the client was told it talked to the wrong SUMO and hung up). */
const TRACI_LOST_PATTERN = /tcpip::(Socket|Storage)/;

/** SUMO's `Error:` lines with their indented continuations: the part of stderr worth a message. */
function sumoErrorLines(stderr: string): string {
  const lines = stderr.split(/\r?\n/);
  const picked: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('Error:')) continue;
    picked.push(lines[i].slice('Error:'.length).trim());
    while (i + 1 < lines.length && /^\s+\S/.test(lines[i + 1])) picked.push(lines[++i].trim());
  }
  return picked.slice(-6).join(' ');
}

/**
 * Turns a finished SUMO process into the error a scheduler can act on, or `undefined` if it
 * succeeded: a crash ({@link SumoCrashError}) and a port race or lost TraCI link
 * ({@link TraciConnectionError}) are retryable; a refused scenario ({@link SumoScenarioError}) is not.
 * Works for `sumo` run alone (a command task) as for a TraCI-controlled one.
 */
export function classifySumoExit(exit: SumoExit): SumoError | undefined {
  const details = { exitCode: exit.code, signal: exit.signal, stderrTail: exit.stderrTail };
  if (exit.spawnError) {
    return new SumoError('DROVER_SUMO', `could not start ${exit.command}: ${exit.spawnError.message}`, false, {
      ...details,
      cause: exit.spawnError,
    });
  }
  if (exit.code === 0 && exit.signal === null) return undefined;
  const said = sumoErrorLines(exit.stderrTail) || exit.stderrTail.trim().split('\n').slice(-3).join(' ');
  const saidPart = said ? `: ${said}` : '';
  if (exit.signal !== null) return new SumoCrashError(`${exit.command} was killed by ${exit.signal}${saidPart}`, details);
  // A shell or wrapper reports death by signal N as exit code 128 + N.
  if ((exit.code ?? 0) > 128 || CRASH_PATTERN.test(exit.stderrTail)) {
    return new SumoCrashError(`${exit.command} crashed (exit code ${exit.code})${saidPart}`, details);
  }
  if (PORT_TAKEN_PATTERN.test(exit.stderrTail)) {
    return new TraciConnectionError(`${exit.command} could not listen on its TraCI port${saidPart}`, details);
  }
  if (TRACI_LOST_PATTERN.test(exit.stderrTail)) {
    return new TraciConnectionError(`${exit.command} lost its TraCI client${saidPart}`, details);
  }
  return new SumoScenarioError(`${exit.command} failed (exit code ${exit.code})${saidPart}`, details);
}
