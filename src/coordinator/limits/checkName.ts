import type { Limits } from './Limits.ts';
import { invalidArgument } from './invalidArgument.ts';
import { overLimit } from './overLimit.ts';
import type { Violation } from './Violation.ts';

/** C0 and C1 control characters (NUL included): never in a name that ends up in logs, listings and file names. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Checks a name shown in listings and logs: at most `maxNameLength` characters, no control characters; `required` refuses an empty one. */
export function checkName(field: string, value: string, limits: Limits, required = false): Violation | undefined {
  if (value.length === 0) return required ? invalidArgument(field, 'is required') : undefined;
  if (value.length > limits.maxNameLength) return overLimit(field, value.length, 'maxNameLength', limits, ' characters');
  if (CONTROL.test(value)) return invalidArgument(field, `contains a control character (position ${value.search(CONTROL)}); names are printable text`);
  return undefined;
}
