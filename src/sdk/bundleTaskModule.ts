import { build, type Message } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BundleError, sha256Hex } from '../protocol/index.ts';

/** One task module, bundled into a single ESM file ready to ship to agents. */
export interface TaskBundle {
  bytes: Uint8Array;
  /** sha256 of `bytes`: the bundle's name in the blob store. */
  digest: string;
  /** Names the module exports. */
  exports: string[];
}

// Task modules import `drover/task`; every bundle gets its own copy of that tiny module,
// which reads the context the worker publishes in a global slot.
const taskModulePath = fileURLToPath(new URL('../task/index.ts', import.meta.url));
// `drover/sumo` (TraCI client, scenarios, statistics) is plain Node code a task can bundle.
const sumoModulePath = fileURLToPath(new URL('../sumo/index.ts', import.meta.url));

// Bundled CommonJS dependencies may `require` Node builtins; an ESM bundle needs a `require`.
const requireShim = "import { createRequire as __droverCreateRequire } from 'node:module';\n" +
  'const require = __droverCreateRequire(import.meta.url);';

function formatMessages(messages: Message[]): string {
  return messages
    .map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text))
    .join('\n');
}

/**
 * Bundle a task module (TypeScript or JavaScript) and its dependencies with esbuild into one
 * ESM file with an inline source map, so remote stacks point at the user's source lines.
 */
export async function bundleTaskModule(modulePath: string): Promise<TaskBundle> {
  let result;
  try {
    result = await build({
      entryPoints: [modulePath],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      write: false,
      // Source paths in the map are made absolute so remote stacks name the user's own files.
      outfile: join(dirname(modulePath), 'drover-task-bundle.mjs'),
      sourceRoot: `${pathToFileURL(dirname(modulePath)).href}/`,
      sourcemap: 'inline',
      sourcesContent: false,
      metafile: true,
      logLevel: 'silent',
      alias: { 'drover/task': taskModulePath, 'drover/sumo': sumoModulePath },
      banner: { js: requireShim },
    });
  } catch (err) {
    const messages = (err as { errors?: Message[] }).errors;
    throw new BundleError(
      `could not bundle task module ${modulePath}:\n${messages ? formatMessages(messages) : String(err)}`,
      { cause: err },
    );
  }
  const output = result.outputFiles[0];
  if (!output) throw new BundleError(`esbuild produced no output for ${modulePath}`);
  const meta = Object.values(result.metafile.outputs)[0];
  return { bytes: output.contents, digest: sha256Hex(output.contents), exports: meta?.exports ?? [] };
}
