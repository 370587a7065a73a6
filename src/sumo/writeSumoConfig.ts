import { writeFile } from 'node:fs/promises';
import { basename, dirname, relative } from 'node:path';

/** What goes into a `.sumocfg`. */
export interface SumoConfigContents {
  /** Where to write the `.sumocfg`. */
  path: string;
  net: string;
  routes: readonly string[];
  additional?: readonly string[];
  begin?: number;
  /** Omit to run until every vehicle has arrived. */
  end?: number;
  /** Default `--seed` (a run's own `--seed` overrides it). */
  seed?: number;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/**
 * Writes a `.sumocfg` whose file references are relative to its own folder, so the scenario
 * folder can be uploaded and staged anywhere (a drover agent's scratch directory). The `<report>`
 * section is the one SUMO.md prescribes: trip statistics on, no step log, and no XML validation
 * (which would otherwise fetch schemas from the web and fail offline).
 */
export async function writeSumoConfig(contents: SumoConfigContents): Promise<string> {
  const here = dirname(contents.path);
  const files = (paths: readonly string[]): string => paths.map((p) => relative(here, p) || basename(p)).join(',');
  const input = [
    `    <net-file value="${escapeAttribute(files([contents.net]))}"/>`,
    `    <route-files value="${escapeAttribute(files(contents.routes))}"/>`,
    ...(contents.additional?.length ? [`    <additional-files value="${escapeAttribute(files(contents.additional))}"/>`] : []),
  ];
  const time = [
    `    <begin value="${contents.begin ?? 0}"/>`,
    ...(contents.end !== undefined ? [`    <end value="${contents.end}"/>`] : []),
  ];
  const xml = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<configuration>',
    '  <input>',
    ...input,
    '  </input>',
    '  <time>',
    ...time,
    '  </time>',
    ...(contents.seed !== undefined ? ['  <random_number>', `    <seed value="${contents.seed}"/>`, '  </random_number>'] : []),
    '  <report>',
    '    <duration-log.statistics value="true"/>',
    '    <no-step-log value="true"/>',
    '    <xml-validation value="never"/>',
    '  </report>',
    '</configuration>',
    '',
  ].join('\n');
  await writeFile(contents.path, xml);
  return contents.path;
}
