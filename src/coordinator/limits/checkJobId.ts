import { invalidArgument } from './invalidArgument.ts';
import type { Violation } from './Violation.ts';

/** Job ids: 1 to 128 URL-safe characters (base64url ids included), not starting with `.`, `:` or `-`. */
const JOB_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;

/** Checks a job id a client sent (to open, attach, cancel or get a job). */
export function checkJobId(field: string, jobId: string): Violation | undefined {
  if (JOB_ID.test(jobId)) return undefined;
  return invalidArgument(field, `must be 1 to 128 characters of letters, digits and _.:- not starting with . : or -, got ${JSON.stringify(jobId.slice(0, 140))}`);
}
