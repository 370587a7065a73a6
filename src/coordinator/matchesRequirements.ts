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
  return unmetRequirements(requires, capacity).length === 0;
}

/**
 * The parts of `requires` that `capacity` does not satisfy, as keys in a stable order: `cpus`,
 * `memoryMb`, `labels.<key>`, `resources.<name>`, `sumo`. Empty when the agent can run the job.
 * A missing capacity satisfies nothing that is asked for.
 */
export function unmetRequirements(requires: pb.Requirements | undefined, capacity: pb.Capacity | undefined): string[] {
  if (!requires) return [];
  const unmet: string[] = [];
  if ((requires.cpus || 1) > (capacity?.slots ?? 0)) unmet.push('cpus');
  if (requires.memoryMb > 0 && requires.memoryMb > (capacity?.memoryMb ?? 0)) unmet.push('memoryMb');
  for (const [key, value] of Object.entries(requires.labels ?? {})) {
    if (capacity?.labels?.[key] !== value) unmet.push(`labels.${key}`);
  }
  for (const [key, amount] of Object.entries(requires.resources ?? {})) {
    if ((capacity?.resources?.[key] ?? 0) < amount) unmet.push(`resources.${key}`);
  }
  if (requires.sumo !== '' && !sumoMatches(requires.sumo, capacity?.sumoVersion ?? '')) unmet.push('sumo');
  return unmet;
}

function sumoMatches(range: string, installed: string): boolean {
  if (!installed) return false;
  try {
    return SumoVersionRange.parse(range).includes(installed);
  } catch {
    return false;
  }
}

/** Longest `describeUnschedulable` message (agents beyond what fits are summarised). */
const MAX_MESSAGE_CHARS = 1500;
/** Kinds of offer listed one by one; the rest are counted. */
const MAX_OFFER_GROUPS = 6;
/** Agent names listed per kind of offer; the rest are counted. */
const MAX_NAMES_PER_GROUP = 3;

/** An agent as {@link describeUnschedulable} sees it. */
export interface AgentOffer {
  name: string;
  capacity: pb.Capacity;
}

/**
 * Why no agent can run a job: the requirements that rule the agents out, then what the agents
 * offer, agents offering the same thing grouped, bounded in length however many agents there are:
 *
 * `no connected agent satisfies requires {sumo: ">=1.16"}: agent-1 offers sumo 1.15.0, 4 slots, 7.6 GiB, labels {zone=eu}; agent-2 offers no sumo, 2 slots, 3.8 GiB`
 */
export function describeUnschedulable(requires: pb.Requirements | undefined, agents: readonly AgentOffer[]): string {
  const unmet = new Set<string>();
  for (const agent of agents) for (const key of unmetRequirements(requires, agent.capacity)) unmet.add(key);
  const showLabels = Object.keys(requires?.labels ?? {}).length > 0;
  const showResources = Object.keys(requires?.resources ?? {}).length > 0;
  // Agents offering the same, in the order they were first seen.
  const groups = new Map<string, string[]>();
  for (const agent of agents) {
    const offer = describeOffer(agent.capacity, showLabels, showResources);
    let names = groups.get(offer);
    if (names === undefined) groups.set(offer, (names = []));
    names.push(agent.name);
  }
  const parts: string[] = [];
  let shownGroups = 0;
  let length = 0;
  for (const [offer, names] of groups) {
    if (shownGroups >= MAX_OFFER_GROUPS || length > MAX_MESSAGE_CHARS / 2) break;
    const listed = names.slice(0, MAX_NAMES_PER_GROUP).map((n) => truncate(n, 64));
    let who = listed.join(', ');
    if (names.length > listed.length) who += ` and ${names.length - listed.length} more`;
    const part = `${who} ${names.length === 1 ? 'offers' : 'offer'} ${offer}`;
    parts.push(part);
    length += part.length + 2;
    shownGroups += 1;
  }
  if (shownGroups < groups.size) {
    let rest = 0;
    let i = 0;
    for (const names of groups.values()) if (i++ >= shownGroups) rest += names.length;
    parts.push(`${rest} other agent${rest === 1 ? '' : 's'} ${rest === 1 ? 'offers' : 'offer'} other combinations`);
  }
  const message = `no connected agent satisfies requires ${describeRequirements(requires, unmet)}: ${parts.join('; ')}`;
  return truncate(message, MAX_MESSAGE_CHARS);
}

/** `{sumo: ">=1.16", labels: {zone: "eu"}}`: the requirements named in `keys` (all when absent). */
export function describeRequirements(requires: pb.Requirements | undefined, keys?: ReadonlySet<string>): string {
  if (!requires) return '{}';
  const wanted = (key: string): boolean => keys === undefined || keys.has(key);
  const fields: string[] = [];
  if (keys === undefined ? requires.cpus > 1 : keys.has('cpus')) fields.push(`cpus: ${requires.cpus || 1}`);
  if (wanted('memoryMb') && requires.memoryMb > 0) fields.push(`memoryMb: ${requires.memoryMb}`);
  if (wanted('sumo') && requires.sumo !== '') fields.push(`sumo: ${requires.sumo === '*' ? 'true' : JSON.stringify(requires.sumo)}`);
  const labels = Object.entries(requires.labels ?? {}).filter(([key]) => wanted(`labels.${key}`));
  if (labels.length > 0) fields.push(`labels: {${labels.map(([k, v]) => `${k}: ${JSON.stringify(truncate(v, 64))}`).join(', ')}}`);
  const resources = Object.entries(requires.resources ?? {}).filter(([key]) => wanted(`resources.${key}`));
  if (resources.length > 0) fields.push(`resources: {${resources.map(([k, v]) => `${k}: ${v}`).join(', ')}}`);
  return `{${fields.join(', ')}}`;
}

function describeOffer(capacity: pb.Capacity, showLabels: boolean, showResources: boolean): string {
  const fields = [
    capacity.sumoVersion ? `sumo ${truncate(capacity.sumoVersion, 40)}` : 'no sumo',
    `${capacity.slots} slot${capacity.slots === 1 ? '' : 's'}`,
    `${(capacity.memoryMb / 1024).toFixed(1)} GiB`,
  ];
  const labels = Object.entries(capacity.labels ?? {});
  if (labels.length > 0) fields.push(`labels {${truncate(labels.map(([k, v]) => `${k}=${v}`).join(', '), 200)}}`);
  else if (showLabels) fields.push('no labels');
  const resources = Object.entries(capacity.resources ?? {});
  if (resources.length > 0) fields.push(`resources {${truncate(resources.map(([k, v]) => `${k}=${v}`).join(', '), 200)}}`);
  else if (showResources) fields.push('no resources');
  return fields.join(', ');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
