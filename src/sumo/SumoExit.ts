/** How a SUMO (or SUMO tool) process ended. */
export interface SumoExit {
  /** What ran, for messages: e.g. `sumo -c scenario.sumocfg`. */
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdoutTail: string;
  stderrTail: string;
  /** Set when the process could not be started at all (e.g. `ENOENT`: not installed). */
  spawnError?: Error;
  wallMs: number;
}
