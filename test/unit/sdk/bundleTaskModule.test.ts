import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BundleError, sha256Hex } from '../../../src/protocol/index.ts';
import { bundleTaskModule } from '../../../src/sdk/bundleTaskModule.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('bundleTaskModule', () => {
  it('bundles a TypeScript module with its imports into one self-contained ESM file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-bundle-'));
    await writeFile(join(dir, 'lib.ts'), 'export const double = (x: number): number => x * 2;\n');
    await writeFile(
      join(dir, 'tasks.ts'),
      "import { double } from './lib.ts';\nimport { context } from 'drover/task';\n" +
        'export function quad(x: number): number { return double(double(x)); }\n' +
        'export function who(): string { return context.worker; }\n',
    );
    const bundle = await bundleTaskModule(join(dir, 'tasks.ts'));
    expect(bundle.exports.sort()).toEqual(['quad', 'who']);
    expect(bundle.digest).toBe(sha256Hex(bundle.bytes));
    // The bundle runs on its own: no import of ./lib.ts or drover/task is left in it.
    const out = join(dir, 'out.mjs');
    await writeFile(out, bundle.bytes);
    const mod = await import(pathToFileURL(out).href);
    expect(mod.quad(3)).toBe(12);
    expect(() => mod.who()).toThrow(/only available while a drover worker runs/);
  });

  it('is deterministic: the same source gives the same digest', async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-bundle-'));
    await writeFile(join(dir, 'tasks.ts'), 'export const f = (x: number) => x + 1;\n');
    const a = await bundleTaskModule(join(dir, 'tasks.ts'));
    const b = await bundleTaskModule(join(dir, 'tasks.ts'));
    expect(a.digest).toBe(b.digest);
  });

  it('reports syntax errors with file and line', async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-bundle-'));
    await writeFile(join(dir, 'bad.ts'), 'export const f = (x: number => x;\n');
    const err = await bundleTaskModule(join(dir, 'bad.ts')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as Error).message).toMatch(/bad\.ts:1:/);
  });
});
