/**
 * Which jobs the connected agent sessions serve now: how the blob service checks a call an agent
 * makes on behalf of a job (fetching its bundle or input files, storing its outputs).
 */
export interface ServedJobs {
  /**
   * The owner (principal name) of job `jobId` when the live agent session `sessionId`, opened by the
   * principal named `agent`, holds an attempt of that job; otherwise undefined.
   */
  ownerIfServed(sessionId: string, agent: string, jobId: string): string | undefined;
}
