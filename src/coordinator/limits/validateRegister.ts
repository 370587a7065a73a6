import type { pb } from '../../protocol/index.ts';
import { checkLabels } from './checkLabels.ts';
import { checkName } from './checkName.ts';
import { invalidArgument } from './invalidArgument.ts';
import type { Limits } from './Limits.ts';
import { overLimit } from './overLimit.ts';
import type { Violation } from './Violation.ts';

/** Longest attempt id (the coordinator makes them ~16 characters). */
const MAX_ATTEMPT_ID_LENGTH = 128;

/**
 * Checks every field of an agent's `Register`: its name and version, the capacity it announces
 * (cores, memory, slots, labels, resources, the descriptive strings) and the attempts it says it
 * still runs. Returns the first violation (INVALID_ARGUMENT) or undefined.
 */
export function validateRegister(register: pb.Register, limits: Limits): Violation | undefined {
  const named = checkName('Register.name', register.name, limits, true) ?? checkName('Register.version', register.version, limits);
  if (named) return named;
  const capacity = register.capacity;
  if (!capacity) return invalidArgument('Register.capacity', 'is required');
  if (!Number.isFinite(capacity.cpus) || capacity.cpus < 0) return invalidArgument('Register.capacity.cpus', `must be a finite number of cores of at least 0, got ${capacity.cpus}`);
  if (capacity.cpus > limits.maxAgentCpus) return overLimit('Register.capacity.cpus', capacity.cpus, 'maxAgentCpus', limits);
  if (capacity.memoryMb > limits.maxAgentMemoryMb) return overLimit('Register.capacity.memory_mb', capacity.memoryMb, 'maxAgentMemoryMb', limits, ' MiB');
  if (capacity.slots > limits.maxAgentSlots) return overLimit('Register.capacity.slots', capacity.slots, 'maxAgentSlots', limits);
  const described =
    checkName('Register.capacity.sumo_version', capacity.sumoVersion, limits) ??
    checkName('Register.capacity.sumo_home', capacity.sumoHome, limits) ??
    checkName('Register.capacity.hostname', capacity.hostname, limits) ??
    checkName('Register.capacity.platform', capacity.platform, limits) ??
    checkName('Register.capacity.node_version', capacity.nodeVersion, limits) ??
    checkLabels('Register.capacity', capacity.labels, capacity.resources, limits);
  if (described) return described;
  const running = register.runningAttemptIds;
  if (running.length > limits.maxRunningAttempts) return overLimit('Register.running_attempt_ids', running.length, 'maxRunningAttempts', limits, ' ids');
  for (let i = 0; i < running.length; i++) {
    if (running[i].length > MAX_ATTEMPT_ID_LENGTH) return invalidArgument(`Register.running_attempt_ids[${i}]`, `is longer than ${MAX_ATTEMPT_ID_LENGTH} characters`);
  }
  return undefined;
}
