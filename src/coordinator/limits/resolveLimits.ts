import { UsageError } from '../../protocol/index.ts';
import { DEFAULT_LIMITS } from './DEFAULT_LIMITS.ts';
import type { Limits } from './Limits.ts';
import { limitFlag } from './limitFlag.ts';

/** The message size grpc-js can frame at most (its length prefix is a signed 32-bit integer). */
const GRPC_MAX_MESSAGE_BYTES = 2 ** 31 - 1;
/** Clients confirm results in batches (the SDK every 256): a smaller bound would stall them. */
const MIN_UNREAD_RESULTS = 1000;

/**
 * The defaults overridden by `overrides`, checked: every limit must be a positive safe integer, and
 * the per-item limits must fit in half a message. Throws a {@link UsageError} naming the flag otherwise.
 */
export function resolveLimits(overrides: Partial<Limits> = {}): Limits {
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(overrides) as (keyof Limits)[]) {
    if (!(key in DEFAULT_LIMITS)) throw new UsageError(`Coordinator: unknown limit ${JSON.stringify(key)}; known limits: ${Object.keys(DEFAULT_LIMITS).join(', ')}`);
    const value = overrides[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new UsageError(`Coordinator: limit ${key} (${limitFlag(key)}) must be a positive integer, got ${String(value)}`);
    }
    limits[key] = value;
  }
  if (limits.maxMessageBytes > GRPC_MAX_MESSAGE_BYTES) {
    throw new UsageError(`Coordinator: ${limitFlag('maxMessageBytes')} must be at most ${GRPC_MAX_MESSAGE_BYTES}, got ${limits.maxMessageBytes}`);
  }
  // Half a message: room for the rest of the message that carries the payload (ids, names, batching).
  for (const key of ['maxTaskBytes', 'maxResultBytes', 'maxBlobChunkBytes'] as const) {
    if (limits[key] > limits.maxMessageBytes / 2) {
      throw new UsageError(`Coordinator: ${limitFlag(key)} (${limits[key]}) cannot exceed half of ${limitFlag('maxMessageBytes')} (${limits.maxMessageBytes}): such a task, result or chunk might never be sent`);
    }
  }
  if (limits.maxUploadingBytes < 16 * limits.maxBlobChunkBytes) {
    throw new UsageError(`Coordinator: ${limitFlag('maxUploadingBytes')} (${limits.maxUploadingBytes}) must be at least 16 times ${limitFlag('maxBlobChunkBytes')} (${limits.maxBlobChunkBytes}): an upload waiting for room may have read that much ahead`);
  }
  if (limits.maxUploadingBytes < limits.maxBlobBytes) {
    throw new UsageError(`Coordinator: ${limitFlag('maxUploadingBytes')} (${limits.maxUploadingBytes}) must be at least ${limitFlag('maxBlobBytes')} (${limits.maxBlobBytes}), or the largest blob could never be uploaded`);
  }
  if (limits.maxUnreadResults < MIN_UNREAD_RESULTS) {
    throw new UsageError(`Coordinator: ${limitFlag('maxUnreadResults')} must be at least ${MIN_UNREAD_RESULTS} (the SDK confirms results every 256), got ${limits.maxUnreadResults}`);
  }
  if (limits.maxTimeoutMs > 2 ** 32 - 1 || limits.maxUnschedulableWaitMs > 2 ** 32 - 1) {
    throw new UsageError(`Coordinator: ${limitFlag('maxTimeoutMs')} and ${limitFlag('maxUnschedulableWaitMs')} must fit the wire's uint32 (at most ${2 ** 32 - 1} ms)`);
  }
  return limits;
}
