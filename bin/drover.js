#!/usr/bin/env node
// drover runs its TypeScript sources directly (Node >= 24 strips types natively).
import { longRunningSettings } from '../src/cli/longRunningSettings.js';
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 24 || (major === 24 && minor < 15)) {
  process.stderr.write(
    `drover needs Node >= 24.15 (this is ${process.version}). Run it through npm scripts or npx in the drover ` +
      'checkout, which put the pinned Node 24 first on PATH, or install Node 24.\n',
  );
  process.exit(1);
}

// Long-running commands re-execute themselves with V8 and glibc memory settings (the why and the
// figures: src/cli/longRunningSettings.js; the single-executable agent does the same in seaMain.ts).
const LONG_RUNNING = new Set(['coordinator', 'agent', 'local']);
if (LONG_RUNNING.has(process.argv[2]) && typeof process.execve === 'function') {
  const settings = longRunningSettings(process.execArgv, process.env);
  if (settings !== undefined) {
    try {
      process.execve(process.execPath, [process.execPath, ...settings.v8Flags, ...process.execArgv, ...process.argv.slice(1)], settings.env);
    } catch (error) {
      // Only the memory settings are lost: run as is.
      process.emitWarning(`drover: could not re-execute with its memory settings (${error.message}); running without them`);
    }
  }
}
delete process.env.DROVER_REEXECUTED;

// `npm run build` bundles the CLI into dist/drover.mjs (scripts/buildDist.ts): plain JavaScript spares
// the long-running processes Node's type stripper and ~200 modules, about 20 MB of RSS. It runs only
// while it is newer than every source file, so an edit, a checkout or a missing build falls back to
// the sources (DROVER_FROM_SOURCE=1 forces them). An installed copy (under node_modules) always runs its
// bundle: the package ships it built, its folders' mtimes are those of the unpacking, and Node strips no
// types there anyway.
const bundle = new URL('../dist/drover.mjs', import.meta.url);
const installed = import.meta.filename.split(/[\\/]/).includes('node_modules');
await import(process.env.DROVER_FROM_SOURCE !== '1' && (installed || bundleIsCurrent(bundle)) ? bundle.href : '../src/cli/main.ts');

/** Whether the bundle exists and nothing under src/ (a file, or a folder's list of files) nor package.json changed after it was built. */
function bundleIsCurrent(url) {
  const { statSync, readdirSync } = process.getBuiltinModule('node:fs');
  const { fileURLToPath } = process.getBuiltinModule('node:url');
  let built;
  try {
    built = statSync(url).mtimeMs;
  } catch {
    return false;
  }
  const src = fileURLToPath(new URL('../src/', import.meta.url));
  if (statSync(fileURLToPath(new URL('../package.json', import.meta.url))).mtimeMs > built) return false;
  // A folder's own mtime records files added to or deleted from it; src/ itself is not among its entries.
  if (statSync(src).mtimeMs > built) return false;
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (statSync(`${entry.parentPath}/${entry.name}`).mtimeMs > built) return false;
  }
  return true;
}
