/**
 * The `drover` command: `coordinator`, `agent`, `local`.
 *
 * @example
 * // drover coordinator --listen 127.0.0.1:7070
 * // drover agent --coordinator 127.0.0.1:7070 --processes 2 --label zone=eu
 * import { buildProgram } from './index.ts';
 * await buildProgram().parseAsync(['node', 'drover', 'local']);
 *
 * @module
 */
export { buildProgram } from './buildProgram.ts';
