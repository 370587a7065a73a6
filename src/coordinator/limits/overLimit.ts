import * as grpc from '@grpc/grpc-js';
import type { Limits } from './Limits.ts';
import { limitFlag } from './limitFlag.ts';
import type { Violation } from './Violation.ts';

/**
 * A field over a configurable limit: `<field> is <actual><unit>, over the limit of <limit><unit>
 * (drover coordinator <flag>)`. INVALID_ARGUMENT unless `code` says otherwise (quotas and sizes use
 * RESOURCE_EXHAUSTED).
 */
export function overLimit(field: string, actual: number | bigint, key: keyof Limits, limits: Limits, unit = '', code: grpc.status = grpc.status.INVALID_ARGUMENT): Violation {
  return { code, message: `${field} is ${actual}${unit}, over the limit of ${limits[key]}${unit} (set with drover coordinator ${limitFlag(key)})` };
}
