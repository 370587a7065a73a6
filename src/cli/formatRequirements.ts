import type { pb } from '../protocol/index.ts';

/** Requirements as people read them: `cpus=2 memory=4096MiB sumo>=1.15 zone=eu gpu=1`, or `-`. */
export function formatRequirements(requires: pb.Requirements | undefined): string {
  if (requires === undefined) return '-';
  const parts: string[] = [];
  if (requires.cpus > 1) parts.push(`cpus=${requires.cpus}`);
  if (requires.memoryMb > 0) parts.push(`memory=${requires.memoryMb}MiB`);
  if (requires.sumo !== '') parts.push(requires.sumo === '*' ? 'sumo' : `sumo${/^[<>=^~]/.test(requires.sumo) ? '' : ' '}${requires.sumo}`);
  for (const [key, value] of Object.entries(requires.labels)) parts.push(`${key}=${value}`);
  for (const [key, value] of Object.entries(requires.resources)) parts.push(`${key}=${value}`);
  return parts.length === 0 ? '-' : parts.join(' ');
}
