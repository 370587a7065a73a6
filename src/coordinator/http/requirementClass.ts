import type { pb } from '../../protocol/index.ts';

/**
 * A short, stable label for what a job's tasks need from an agent, e.g.
 * `cpus=2,memoryMb=4096,sumo=>=1.15,label:zone=eu,resource:gpu=1`; `any` when nothing is required.
 * Keys are sorted so the same requirements always give the same label.
 */
export function requirementClass(requires: pb.Requirements | undefined): string {
  if (requires === undefined) return 'any';
  const parts: string[] = [];
  if (requires.cpus > 1) parts.push(`cpus=${requires.cpus}`);
  if (requires.memoryMb > 0) parts.push(`memoryMb=${requires.memoryMb}`);
  if (requires.sumo !== '') parts.push(`sumo=${requires.sumo}`);
  for (const key of Object.keys(requires.labels).sort()) parts.push(`label:${key}=${requires.labels[key]}`);
  for (const key of Object.keys(requires.resources).sort()) parts.push(`resource:${key}=${requires.resources[key]}`);
  return parts.length === 0 ? 'any' : parts.join(',');
}
