import type { Limits } from './Limits.ts';

const MiB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The limits a coordinator enforces unless told otherwise: generous for real workloads (a SUMO sweep,
 * ten million tiny items), small enough that no single client or agent can exhaust the coordinator.
 */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxMessageBytes: 64 * MiB,
  maxTaskBytes: 16 * MiB,
  maxResultBytes: 16 * MiB,
  maxItemsPerTask: 16 * MiB,
  maxItemsPerJob: 100_000_000,
  maxQueuedTasksPerPrincipal: 10_000_000,
  maxOpenJobsPerPrincipal: 1000,
  maxUnreadResults: 10_000,
  maxNameLength: 1024,
  maxLabels: 64,
  maxLabelKeyLength: 128,
  maxLabelValueLength: 256,
  maxTimeoutMs: 7 * DAY_MS,
  maxRetries: 100,
  maxUnschedulableWaitMs: 7 * DAY_MS,
  maxBlobBytes: 256 * MiB,
  maxUploadingBytes: 1024 * MiB,
  maxBlobChunkBytes: 4 * MiB,
  maxHasDigests: 10_000,
  maxAgentSlots: 4096,
  maxAgentCpus: 4096,
  maxAgentMemoryMb: 1024 * 1024 * 1024,
  maxRunningAttempts: 100_000,
  streamOpenTimeoutMs: 30_000,
});
