/**
 * `npm run build` (`node scripts/buildDist.ts [OUTDIR]`, default `dist/`) bundles drover's TypeScript
 * sources into plain JavaScript with esbuild:
 * - `drover.mjs`: the `drover` command line, which `bin/drover.js` runs instead of the sources while it
 *   is newer than every file under `src/` (an edit or a checkout makes it stale, and the sources run
 *   again until the next build);
 * - `worker.mjs`: the worker process an agent forks, used by a bundled agent (CLI or library);
 * - `lib/sdk.mjs`, `lib/task.mjs`, `lib/sumo.mjs` (with shared chunks): what the package's `exports` give
 *   an installed copy of drover, since Node does not strip types under `node_modules`;
 * - `types/` (tsc, tsconfig.types.json): the declarations those exports name for TypeScript users. The
 *   sources themselves would not do: a project compiling them under its own settings fails on their
 *   `.ts` import paths unless it sets `allowImportingTsExtensions`.
 *
 * Why: Node strips types with a WebAssembly build of swc. Loading it and the ~200 source modules costs
 * every long-running coordinator or agent ~20 MB of RSS, and every worker process ~30 MB and ~45 ms of
 * start-up, that plain JavaScript does not (P5 in docs/benchmarks.md).
 *
 * The sources find files next to themselves with `new URL('./x', import.meta.url)` (dashboard assets,
 * proto files, task modules the SDK bundles): each module's `import.meta.url` is rewritten to its own
 * source file's URL (found relative to the bundle, so the checkout or package may move), and those
 * paths resolve as they do from the sources; `import.meta.url` inside strings (code generated for task
 * bundles, messages) is left alone, as esbuild's `define` replaces expressions only. The one file a
 * bundle must not take from the sources is the worker's entry: `__DROVER_WORKER_BUNDLE__` tells
 * src/agent/WorkerProcess.ts where `worker.mjs` is, relative to the bundle.
 *
 * @module
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../', import.meta.url));
// Another output directory (for tests) may be given as the first argument.
const outdir = process.argv[2] ? resolve(process.argv[2]) : `${root}dist`;

/** Rewrites `import.meta.url` in each source module to that source file's URL, relative to the bundle in `bundleDir`. */
function sourceImportMetaUrl(bundleDir: string): Plugin {
  return {
    name: 'source-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\/src\/.*\.ts$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return { contents: source, loader: 'ts' };
        const fromBundle = relative(bundleDir, args.path).split('\\').join('/');
        // `define` below turns every `import.meta.url` expression (not the text in strings) into this module's own constant.
        const prelude =
          `import { pathToFileURL as __droverToUrl } from 'node:url';\n` +
          `const __droverModuleUrl = new URL(${JSON.stringify(fromBundle)}, __droverToUrl(import.meta.filename)).href;\n`;
        return { contents: prelude + source, loader: 'ts' };
      });
    },
  };
}

/** Options shared by every bundle written into `bundleDir`. */
function common(bundleDir: string): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // Packages stay in node_modules (native addons, files they read next to themselves); only drover's own sources are bundled.
    packages: 'external',
    logLevel: 'warning',
    define: {
      'import.meta.url': '__droverModuleUrl',
      __DROVER_WORKER_BUNDLE__: JSON.stringify(relative(bundleDir, `${outdir}/worker.mjs`).split('\\').join('/')),
    },
    plugins: [sourceImportMetaUrl(bundleDir)],
  };
}

// The library's chunks are named by content hash: without this, every build left its old chunks beside the
// new ones, and `npm pack` shipped them all (38 chunks, 9 MB, after a day of rebuilds).
await rm(`${outdir}/lib`, { recursive: true, force: true });
await Promise.all([
  build({ ...common(outdir), entryPoints: [`${root}src/cli/main.ts`], outfile: `${outdir}/drover.mjs` }),
  build({ ...common(outdir), entryPoints: [`${root}src/agent/worker/workerMain.ts`], outfile: `${outdir}/worker.mjs` }),
  build({
    ...common(`${outdir}/lib`),
    entryPoints: { sdk: `${root}src/sdk/index.ts`, task: `${root}src/task/index.ts`, sumo: `${root}src/sumo/index.ts` },
    outdir: `${outdir}/lib`,
    outExtension: { '.js': '.mjs' },
    // The embedded cluster (coordinator and agent) is a chunk of its own, loaded only when a script uses it.
    splitting: true,
    chunkNames: 'chunk-[hash]',
  }),
  emitDeclarations(`${outdir}/types`),
]);

/** Writes the public entry points' declarations (and those of everything they reach) into `typesDir`, afresh. */
async function emitDeclarations(typesDir: string): Promise<void> {
  await rm(typesDir, { recursive: true, force: true });
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', `${root}tsconfig.types.json`, '--outDir', typesDir], { cwd: root });
}
