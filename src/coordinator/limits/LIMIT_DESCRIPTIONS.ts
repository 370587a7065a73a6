import type { Limits } from './Limits.ts';

/** One line per limit, for `drover coordinator --help` and docs/security.md. */
export const LIMIT_DESCRIPTIONS: Readonly<Record<keyof Limits, string>> = Object.freeze({
  maxMessageBytes: 'largest gRPC message received or sent, in bytes',
  maxTaskBytes: 'largest payload of one task (its chunk of arguments), in bytes',
  maxResultBytes: 'largest result (or failure text, or progress value) of one task, in bytes; a bigger one fails its task',
  maxItemsPerTask: 'most items in one task (chunksize)',
  maxItemsPerJob: 'most items in one job',
  maxQueuedTasksPerPrincipal: 'most tasks one principal may have queued or running across its open jobs',
  maxOpenJobsPerPrincipal: 'most open jobs one principal may hold',
  maxUnreadResults: 'results a job stream may leave unconfirmed before the job\'s dispatch pauses',
  maxNameLength: 'longest job, export or agent name (and agent version, host name, SUMO version and home), in characters',
  maxLabels: 'most labels (and most resources) in one requirement set or agent capacity',
  maxLabelKeyLength: 'longest label or resource key, in characters',
  maxLabelValueLength: 'longest label value, in characters',
  maxTimeoutMs: 'largest per-task timeout, in ms',
  maxRetries: 'largest retries value of a job',
  maxUnschedulableWaitMs: 'largest unschedulable wait of a job, in ms',
  maxBlobBytes: 'largest blob (bundle, input or output file), in bytes',
  maxUploadingBytes: 'most bytes the blob uploads in progress may announce together (held in memory until verified)',
  maxBlobChunkBytes: 'largest data chunk of one blob upload message, in bytes',
  maxHasDigests: 'most digests in one Blobs.Has call',
  maxAgentSlots: 'most worker slots an agent may announce (also the largest requires.cpus)',
  maxAgentCpus: 'most CPU cores an agent may announce',
  maxAgentMemoryMb: 'most memory an agent may announce, in MiB (also the largest requires.memoryMb)',
  maxRunningAttempts: 'most running attempts an agent may list when it registers',
  streamOpenTimeoutMs: 'a stream that sends no first message (open, attach, register, blob chunk) within this many ms is closed, as is a blob upload pausing this long between chunks',
});
