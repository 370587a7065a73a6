import type { pb } from '../protocol/index.ts';
import { SumoVersionRange } from './SumoVersionRange.ts';

/**
 * Whether an agent's capacity satisfies a job's requirements: enough slots for one task
 * (`cpus`, 0 meaning 1), at least the memory asked for, every label equal, at least every
 * custom resource, and a SUMO installation matching the `sumo` range (`''` = not needed,
 * `'*'` = any version). An unreadable SUMO range matches nothing (jobs are validated when opened).
 *
 * The scheduler caches the answer per (job, agent session), so this is off the hot path.
 */
export function matchesRequirements(requires: pb.Requirements | undefined, capacity: pb.Capacity | undefined): boolean {
  if (!requires) return true;
  if (!capacity) return false;
  if ((requires.cpus || 1) > capacity.slots) return false;
  if (requires.memoryMb > 0 && requires.memoryMb > capacity.memoryMb) return false;
  for (const [key, value] of Object.entries(requires.labels ?? {})) {
    if (capacity.labels?.[key] !== value) return false;
  }
  for (const [key, amount] of Object.entries(requires.resources ?? {})) {
    if ((capacity.resources?.[key] ?? 0) < amount) return false;
  }
  if (requires.sumo !== '') {
    if (!capacity.sumoVersion) return false;
    try {
      return SumoVersionRange.parse(requires.sumo).includes(capacity.sumoVersion);
    } catch {
      return false;
    }
  }
  return true;
}
