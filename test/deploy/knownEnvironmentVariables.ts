import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';

/**
 * The `DROVER_*` environment variables drover reads: those bound to options of the commander program
 * (`Option.env()`), and those read as `process.env.NAME` / `env.NAME` / `env['NAME']` anywhere under `srcDir`.
 */
export function knownEnvironmentVariables(program: Command, srcDir: string): Set<string> {
  const known = new Set<string>();
  const visit = (command: Command) => {
    for (const option of command.options) if (option.envVar) known.add(option.envVar);
    command.commands.forEach(visit);
  };
  visit(program);
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/\benv(?:\.(DROVER_[A-Z0-9_]+)|\[['"](DROVER_[A-Z0-9_]+)['"]\])/g)) known.add(m[1] ?? m[2]!);
      }
    }
  };
  walk(srcDir);
  return known;
}
