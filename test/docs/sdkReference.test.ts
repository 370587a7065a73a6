// docs/sdk.md is generated from the TSDoc of the public entry points (scripts/generateSdkReference.ts):
// it must be up to date, every export must have TSDoc, and every runtime export must have its section.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { generateSdkReference } from '../../scripts/generateSdkReference.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const reference = readFileSync(join(root, 'docs', 'sdk.md'), 'utf8');
const generated = generateSdkReference();

it('docs/sdk.md is what the generator writes (run `node scripts/generateSdkReference.ts` if not)', () => {
  expect(reference).toBe(generated.markdown);
});

it('every public export has TSDoc', () => {
  expect(generated.undocumented).toEqual([]);
});

it.each([
  ['drover', '../../src/sdk/index.ts'],
  ['drover/task', '../../src/task/index.ts'],
  ['drover/sumo', '../../src/sumo/index.ts'],
])('every runtime export of %s has its section', async (specifier, path) => {
  const module = (await import(path)) as Record<string, unknown>;
  const start = reference.indexOf(`\n## ${specifier}\n`);
  const next = reference.indexOf('\n## ', start + 1);
  const section = reference.slice(start, next < 0 ? undefined : next);
  const names = Object.keys(module);
  expect(names.length).toBeGreaterThan(0);
  for (const name of names) expect(section, `${specifier}: ${name}`).toContain(`\n### ${name}\n`);
});
