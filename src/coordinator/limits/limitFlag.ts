import type { Limits } from './Limits.ts';

/** The `drover coordinator` flag that sets a limit: its key in kebab case (`maxTaskBytes` → `--max-task-bytes`). */
export function limitFlag(key: keyof Limits): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
