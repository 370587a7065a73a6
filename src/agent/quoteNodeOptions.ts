/**
 * Node flags as one NODE_OPTIONS-style string (what `--node-options=` of a single executable takes):
 * space-separated, a flag with whitespace, a quote or a backslash in double quotes with those escaped,
 * as Node's parser of NODE_OPTIONS reads them back.
 *
 * @example
 * quoteNodeOptions(['--max-old-space-size=512', '--require=/opt/my hooks.js']);
 * // '--max-old-space-size=512 "--require=/opt/my hooks.js"'
 */
export function quoteNodeOptions(flags: readonly string[]): string {
  return flags.map((f) => (/[\s"\\]/.test(f) ? `"${f.replace(/["\\]/g, '\\$&')}"` : f)).join(' ');
}
