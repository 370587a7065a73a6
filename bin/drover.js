#!/usr/bin/env node
// drover runs its TypeScript sources directly (Node >= 24 strips types natively).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 24 || (major === 24 && minor < 15)) {
  process.stderr.write(
    `drover needs Node >= 24.15 (this is ${process.version}). Run it through npm scripts or npx in the drover ` +
      'checkout, which put the pinned Node 24 first on PATH, or install Node 24.\n',
  );
  process.exit(1);
}

// The coordinator and the agent run for days and stream millions of messages, and V8's defaults, meant
// for short scripts, make their RSS climb under that load (P5 in docs/benchmarks.md):
// - V8 grows its young generation up to 3 × 64 MB under a high allocation rate; a cap of 4 MB per
//   semi-space costs more frequent (cheap) scavenges and keeps that part flat.
// - V8 lets the old generation grow to up to 4× what survived the last full collection before the next
//   one, and message buffers that lived through two scavenges die there: at its peak the coordinator's
//   live heap was ~30 MB (a heap snapshot), while its heap and buffers reached ~95 MB between full
//   collections. A fixed factor of 2.5 (`--heap-growing-percent=150`) collects them sooner. Measured on
//   P5's 10M items: coordinator peak 167–173 → 133–138 MiB, with P1, P3, P4 and P7 (measured side by
//   side) within run-to-run noise. (`--optimize-for-size` reaches ~105 MiB but costs ~40 % of the
//   coordinator's CPU per task, so it is left to the user: `node --optimize-for-size bin/drover.js`.)
// - glibc raises its mmap threshold each time a large block is freed (up to 32 MB), after which big
//   message buffers come from the heap, which fragments and is never given back; a fixed threshold
//   keeps blocks of 4 MiB and more in their own mappings, returned on free, and a low trim threshold
//   returns the heap's free top. (A 64 KiB threshold, tried first, gave every chunk-sized payload a
//   fresh mapping and its page faults: P2's items/s 0.58× mp against 0.90× at 4 MiB, with the same P5 peaks.)
// All are read only at start-up, so the process re-executes itself with them: `execve` keeps the
// pid, stdio and signals, so supervisors, `kill` and tests still see one process. The user's own
// settings win (the same flag, or its --no- form, in execArgv or NODE_OPTIONS; a GLIBC_TUNABLES of their own).
const V8_FLAGS = [
  ['--max-semi-space-size', '=4'],
  ['--heap-growing-percent', '=150'],
];
const MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=131072';
const LONG_RUNNING = new Set(['coordinator', 'agent', 'local']);
if (LONG_RUNNING.has(process.argv[2]) && typeof process.execve === 'function' && process.env.DROVER_REEXECUTED !== '1') {
  const userFlags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const nameOf = (arg) => arg.split('=')[0].replace(/^--no-/, '--').replaceAll('_', '-');
  const flags = V8_FLAGS.filter(([name]) => !userFlags.some((arg) => nameOf(arg) === name)).map(([name, value]) => name + value);
  // Marked in the environment so that a failed flag cannot loop; removed again below, before any child inherits it.
  const env = { ...process.env, DROVER_REEXECUTED: '1', GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? MALLOC_TUNABLES };
  // Ours, not the user's: the agent's worker processes do not inherit them (src/agent/WorkerProcess.ts).
  if (process.env.GLIBC_TUNABLES === undefined) env.DROVER_OWN_MALLOC_TUNABLES = '1';
  try {
    process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], env);
  } catch (error) {
    // Only the memory settings are lost: run as is.
    process.emitWarning(`drover: could not re-execute with its memory settings (${error.message}); running without them`);
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
