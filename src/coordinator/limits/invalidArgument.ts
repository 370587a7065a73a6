import * as grpc from '@grpc/grpc-js';
import type { Violation } from './Violation.ts';

/** A malformed field (not a configurable limit): INVALID_ARGUMENT with `<field> <problem>`. */
export function invalidArgument(field: string, problem: string): Violation {
  return { code: grpc.status.INVALID_ARGUMENT, message: `${field} ${problem}` };
}
