// Plain JavaScript, so that bin/drover.js can load it on any Node (and from an installed copy, where
// Node strips no types) before it knows which build to run; src/cli/seaMain.ts bundles it too.
// Types: longRunningSettings.d.ts.

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
//   An agent in its own process, 300,000 one-item tasks: peak 256 MiB without both flags, 155 with the
//   first alone, 123–125 with both.
// - glibc's mmap threshold: a block at or above it gets a mapping of its own, returned to the system on
//   free, whose pages then fault in anew on every use. A task input or result of several MiB (a chunk of
//   250 values of 64 KiB) is copied several times on its way through the coordinator: with a 4 MiB
//   threshold each copy was a fresh mapping (~700k page faults over 4,000 such values), and `drover local`
//   spent 1.3–1.6 s of CPU per map of 2,000 of them against 0.8–1.1 s at 32 MiB (glibc's own ceiling for
//   its dynamic threshold): 1.2–1.3k against 1.5–2.1k values/s. The heap that serves such blocks instead
//   stays bounded: over four rounds of 1 MiB and 16 MiB values, peak 518–553 against 516–538 MiB, idle
//   between rounds 323–459 against 288–345 MiB; P5's peaks are the same. A low trim threshold returns the
//   heap's free top. (A 64 KiB threshold gave every chunk-sized payload a fresh mapping and its page
//   faults: P2's items/s 0.58× mp against 0.90× at 4 MiB. A 16 MiB trim threshold halved the page faults
//   while SQLite's page cache took every large value, but cost P5's coordinator 2–5 MiB of its peak; once
//   such values went to files of their own (store/PayloadFiles.ts) it no longer measured any faster.)
// All are read only at start-up, so the process re-executes itself with them (`execve` keeps the pid,
// stdio and signals, so supervisors, `kill` and tests still see one process). The user's own settings
// win: the same flag, or its --no- form, among the user's Node flags; a GLIBC_TUNABLES of their own.

/** V8 flags (name, then `=value`) every long-running drover process gets. */
const V8_FLAGS = [
  ['--max-semi-space-size', '=4'],
  ['--heap-growing-percent', '=150'],
];
const MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=131072';

/**
 * What a long-running drover process (coordinator, agent, local) re-executes itself with: the V8
 * flags the user did not set (in `execArgv` or `env.NODE_OPTIONS`), and the environment to run with.
 * Undefined when this process already is the re-executed one.
 *
 * The environment marks the re-execution (`DROVER_REEXECUTED=1`, so that a failing flag cannot loop;
 * the caller deletes it from its own environment once past this point, before any child inherits it)
 * and `DROVER_OWN_MALLOC_TUNABLES=1` when the glibc settings are ours, so that the agent's worker
 * processes do not inherit them (src/agent/WorkerProcess.ts).
 */
export function longRunningSettings(execArgv, env) {
  if (env.DROVER_REEXECUTED === '1') return undefined;
  const userFlags = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)];
  const nameOf = (arg) => arg.split('=')[0].replace(/^--no-/, '--').replaceAll('_', '-');
  const v8Flags = V8_FLAGS.filter(([name]) => !userFlags.some((arg) => nameOf(arg) === name)).map(([name, value]) => name + value);
  const next = { ...env, DROVER_REEXECUTED: '1', GLIBC_TUNABLES: env.GLIBC_TUNABLES ?? MALLOC_TUNABLES };
  if (env.GLIBC_TUNABLES === undefined) next.DROVER_OWN_MALLOC_TUNABLES = '1';
  return { v8Flags, env: next };
}
