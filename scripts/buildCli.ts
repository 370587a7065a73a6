/**
 * `npm run build` (`node scripts/buildCli.ts [OUTFILE]`) → `dist/drover.mjs`: the `drover` command line as one esbuild bundle, which
 * `bin/drover.js` runs instead of the TypeScript sources while it is newer than every file under
 * `src/` (an edit or a checkout makes it stale, and the sources run again until the next build).
 *
 * Why: Node strips types with a WebAssembly build of swc, and loading it and the ~200 source modules
 * costs a long-running coordinator or agent about 20 MB of RSS that a plain JavaScript bundle does not
 * (P5 in docs/benchmarks.md).
 *
 * The sources find files next to themselves with `new URL('./x', import.meta.url)` (dashboard assets,
 * proto files, the worker entry the agent forks): each module's `import.meta.url` is rewritten to its
 * own source file's URL (found relative to the bundle, so the checkout may move), and those paths
 * resolve as they do from the sources; `import.meta.url` inside strings (code generated for task
 * bundles, messages) is left alone, as esbuild's `define` replaces expressions only.
 *
 * @module
 */
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
// Another output path (for tests) may be given as the first argument.
const outfile = process.argv[2] ? resolve(process.argv[2]) : `${root}dist/drover.mjs`;

await build({
  entryPoints: [`${root}src/cli/main.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // Packages stay in node_modules (native addons, files they read next to themselves); only drover's own sources are bundled.
  packages: 'external',
  logLevel: 'warning',
  define: { 'import.meta.url': '__droverModuleUrl' },
  plugins: [
    {
      name: 'source-import-meta-url',
      setup(b) {
        b.onLoad({ filter: /\/src\/.*\.ts$/ }, async (args) => {
          const source = await readFile(args.path, 'utf8');
          if (!source.includes('import.meta.url')) return { contents: source, loader: 'ts' };
          const fromBundle = relative(dirname(outfile), args.path).split('\\').join('/');
          // `define` below turns every `import.meta.url` expression (not the text in strings) into this module's own constant.
          const prelude =
            `import { pathToFileURL as __droverToUrl } from 'node:url';\n` +
            `const __droverModuleUrl = new URL(${JSON.stringify(fromBundle)}, __droverToUrl(import.meta.filename)).href;\n`;
          return { contents: prelude + source, loader: 'ts' };
        });
      },
    },
  ],
});
