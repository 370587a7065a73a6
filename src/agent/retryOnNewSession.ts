import { status } from '@grpc/grpc-js';

/**
 * Runs a blob call made on behalf of a job (`attempt`), once more if the coordinator refused it
 * (PERMISSION_DENIED) while the agent reconnected meanwhile: the refusal named the old session, and
 * the job's attempts now belong to the new one. Any other outcome is the call's own.
 */
export async function retryOnNewSession<T>(sessionId: () => string, attempt: () => Promise<T>): Promise<T> {
  const session = sessionId();
  try {
    return await attempt();
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
    if (cause?.code === status.PERMISSION_DENIED && sessionId() !== session) return attempt();
    throw error;
  }
}
