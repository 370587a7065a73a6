import { XMLParser } from 'fast-xml-parser';
import { SumoOutputError } from './errors/SumoOutputError.ts';
import type { SumoStatistics } from './SumoStatistics.ts';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Numbers are converted below, where "-1.00" and "1e3" are handled alike and ids stay strings.
  parseAttributeValue: false,
  ignoreDeclaration: true,
  processEntities: false,
});

/** Attribute names this library types; anything else stays in `sections` only. */
const TYPED = {
  vehicles: ['loaded', 'inserted', 'running', 'waiting'],
  teleports: ['total', 'jam', 'yield', 'wrongLane'],
  safety: ['collisions', 'emergencyStops'],
  persons: ['loaded', 'running', 'jammed'],
  vehicleTripStatistics: [
    'count', 'routeLength', 'speed', 'duration', 'waitingTime', 'timeLoss',
    'departDelay', 'departDelayWaiting', 'totalTravelTime', 'totalDepartDelay',
  ],
} as const;

function pick(section: Record<string, number | string> | undefined, names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  if (!section) return out;
  for (const name of names) {
    const value = section[name];
    if (typeof value === 'number') out[name] = value;
  }
  return out;
}

/**
 * Parses the file SUMO writes for `--statistic-output` into numbers.
 *
 * @example
 * const stats = parseStatistics(await readFile('stats.xml', 'utf8'));
 * stats.vehicleTripStatistics?.timeLoss; // mean time loss per trip, s
 */
export function parseStatistics(xml: string): SumoStatistics {
  let document: Record<string, unknown>;
  try {
    document = parser.parse(xml) as Record<string, unknown>;
  } catch (error) {
    throw new SumoOutputError(`statistic output is not well-formed XML: ${(error as Error).message}`, { cause: error });
  }
  const root = document.statistics;
  if (typeof root !== 'object' || root === null) {
    throw new SumoOutputError('statistic output has no <statistics> element (was the run cut short before SUMO wrote it?)');
  }
  const sections: Record<string, Record<string, number | string>> = {};
  for (const [name, element] of Object.entries(root as Record<string, unknown>)) {
    // A repeated element would parse as an array; SUMO writes each section once, keep the last.
    const attributes = Array.isArray(element) ? element.at(-1) : element;
    if (typeof attributes !== 'object' || attributes === null) continue;
    const section: Record<string, number | string> = {};
    for (const [key, raw] of Object.entries(attributes as Record<string, unknown>)) {
      if (typeof raw !== 'string') continue;
      const number = raw.trim() === '' ? Number.NaN : Number(raw);
      section[key] = Number.isFinite(number) ? number : raw;
    }
    sections[name] = section;
  }
  const statistics: SumoStatistics = {
    vehicles: pick(sections.vehicles, TYPED.vehicles),
    teleports: pick(sections.teleports, TYPED.teleports),
    safety: pick(sections.safety, TYPED.safety),
    sections,
  };
  if (sections.persons) statistics.persons = pick(sections.persons, TYPED.persons);
  if (sections.vehicleTripStatistics) statistics.vehicleTripStatistics = pick(sections.vehicleTripStatistics, TYPED.vehicleTripStatistics);
  return statistics;
}
