import { Option } from 'commander';
import { DEFAULT_LIMITS, LIMIT_DESCRIPTIONS, limitFlag, type Limits } from '../coordinator/index.ts';
import { parsePositiveInt } from './parseKeyValue.ts';

/**
 * One option per coordinator limit (`maxTaskBytes` → `--max-task-bytes <n>`), named and described by the
 * limits module, for every command that runs a coordinator (`drover coordinator`, `drover local`).
 * Commander stores each under the `Limits` key itself; {@link limitOptions.read} collects those set.
 */
export const limitOptions = {
  /** The options, to add to a command. */
  all(): Option[] {
    return (Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]).map((key) =>
      new Option(`${limitFlag(key)} <n>`, `${LIMIT_DESCRIPTIONS[key]} (default ${DEFAULT_LIMITS[key]})`).argParser(parsePositiveInt),
    );
  },
  /** The limits the command line set. */
  read(opts: Partial<Limits>): Partial<Limits> {
    const limits: Partial<Limits> = {};
    for (const key of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
      if (opts[key] !== undefined) limits[key] = opts[key];
    }
    return limits;
  },
} as const;
