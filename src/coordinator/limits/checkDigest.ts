import { invalidArgument } from './invalidArgument.ts';
import type { Violation } from './Violation.ts';

const DIGEST = /^[0-9a-f]{64}$/;

/** Checks a blob digest: a lowercase hex sha256 (64 characters). */
export function checkDigest(field: string, digest: string): Violation | undefined {
  if (DIGEST.test(digest)) return undefined;
  return invalidArgument(field, `must be a lowercase hex sha256 (64 characters), got ${JSON.stringify(digest.slice(0, 80))}`);
}
