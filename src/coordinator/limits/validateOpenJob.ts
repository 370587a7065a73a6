import type { pb } from '../../protocol/index.ts';
import { SumoVersionRange } from '../SumoVersionRange.ts';
import { checkDigest } from './checkDigest.ts';
import { checkJobId } from './checkJobId.ts';
import { checkLabels } from './checkLabels.ts';
import { checkName } from './checkName.ts';
import { invalidArgument } from './invalidArgument.ts';
import type { Limits } from './Limits.ts';
import { overLimit } from './overLimit.ts';
import type { Violation } from './Violation.ts';

/** Longest `requires.sumo` range. */
const MAX_SUMO_RANGE_LENGTH = 128;

/**
 * Checks every field of an `OpenJob` against `limits`; returns the first violation (INVALID_ARGUMENT)
 * or undefined. Pure: whether the job id is free is the caller's question.
 */
export function validateOpenJob(open: pb.OpenJob, limits: Limits): Violation | undefined {
  const fn = open.function;
  if (!fn) return invalidArgument('OpenJob.function', 'is required');
  const problem =
    checkDigest('OpenJob.function.bundle_digest', fn.bundleDigest) ??
    checkName('OpenJob.function.export_name', fn.exportName, limits, true) ??
    checkName('OpenJob.name', open.name, limits) ??
    (open.jobId ? checkJobId('OpenJob.job_id', open.jobId) : undefined);
  if (problem) return problem;
  if (open.timeoutMs > limits.maxTimeoutMs) return overLimit('OpenJob.timeout_ms', open.timeoutMs, 'maxTimeoutMs', limits, ' ms');
  if (open.retries > limits.maxRetries) return overLimit('OpenJob.retries', open.retries, 'maxRetries', limits);
  if (open.unschedulableWaitMs > limits.maxUnschedulableWaitMs) {
    return overLimit('OpenJob.unschedulable_wait_ms', open.unschedulableWaitMs, 'maxUnschedulableWaitMs', limits, ' ms');
  }
  const requires = open.requires;
  if (requires) {
    if (requires.cpus > limits.maxAgentSlots) return overLimit('OpenJob.requires.cpus', requires.cpus, 'maxAgentSlots', limits);
    if (requires.memoryMb > limits.maxAgentMemoryMb) return overLimit('OpenJob.requires.memory_mb', requires.memoryMb, 'maxAgentMemoryMb', limits, ' MiB');
    if (requires.sumo) {
      if (requires.sumo.length > MAX_SUMO_RANGE_LENGTH) return invalidArgument('OpenJob.requires.sumo', `is longer than ${MAX_SUMO_RANGE_LENGTH} characters`);
      try {
        SumoVersionRange.parse(requires.sumo);
      } catch (error) {
        return invalidArgument('OpenJob.requires.sumo', `is not a version range: ${(error as Error).message}`);
      }
    }
    const labels = checkLabels('OpenJob.requires', requires.labels, requires.resources, limits);
    if (labels) return labels;
  }
  return undefined;
}
