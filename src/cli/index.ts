/**
 * The `drover` command: `coordinator`, `agent`, `local` run a cluster; `status` and
 * `jobs ls|show|watch|cancel` inspect one; `map`, `run` and `sumo` submit work. Exit codes are in
 * `ExitCode` and docs/cli.md.
 *
 * @example
 * // drover coordinator --listen 127.0.0.1:7070 --http 127.0.0.1:9090
 * // drover agent --coordinator 127.0.0.1:7070 --processes 2 --label zone=eu --http 127.0.0.1:9091
 * // drover status --json
 * // drover map tasks.ts#simulate --input items.jsonl --output results.jsonl
 * import { buildProgram } from './index.ts';
 * await buildProgram().parseAsync(['node', 'drover', 'local']);
 *
 * @module
 */
export { buildProgram } from './buildProgram.ts';
export { ExitCode, type ExitCodeValue } from './ExitCode.ts';
