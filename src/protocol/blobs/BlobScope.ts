/**
 * The job an agent uses a blob for (fetching a task's bundle or input, storing its output) and the
 * agent's session id (from `Registered`): the coordinator serves the call only while that session
 * holds an attempt of the job, with the rights of the job's owner. Clients use blobs as themselves
 * and name no scope.
 */
export interface BlobScope {
  readonly jobId: string;
  readonly sessionId: string;
}
