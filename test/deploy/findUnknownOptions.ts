import type { Command } from 'commander';

/** What {@link findUnknownOptions} found wrong with one command line. */
export interface CommandLineProblem {
  /** The command line, as given. */
  argv: string[];
  problem: string;
}

/**
 * Check a `drover` command line (without `drover` itself) against the commander program: the subcommand
 * path must exist, and every `--option` must be one of that command's options (or a global one such as
 * `--help`). An option that takes a value consumes the next word; `--opt=value` is understood too.
 *
 * Returns the problems found, empty when the command line is valid.
 */
export function findUnknownOptions(program: Command, argv: readonly string[]): CommandLineProblem[] {
  const problems: CommandLineProblem[] = [];
  let command = program;
  let i = 0;
  // Walk down the subcommands: `drover sumo sweep …`.
  while (i < argv.length && !argv[i]!.startsWith('-')) {
    const sub = command.commands.find((c) => c.name() === argv[i] || c.aliases().includes(argv[i]!));
    if (!sub) {
      if (command === program) problems.push({ argv: [...argv], problem: `no command "${argv[i]}" (commands: ${program.commands.map((c) => c.name()).join(', ')})` });
      break;
    }
    command = sub;
    i++;
  }
  for (; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith('--')) continue;
    if (word === '--') break;
    const [name, inlineValue] = word.includes('=') ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)] : [word, undefined];
    if (name === '--help' || (name === '--version' && command === program)) continue;
    const option = command.options.find((o) => o.long === name);
    if (!option) {
      const known = command.options.map((o) => o.long).join(' ');
      problems.push({ argv: [...argv], problem: `"drover ${command.name()}" has no option ${name} (it has: ${known})` });
      // Its arity is unknown: assume it takes a value unless the next word is an option.
      if (inlineValue === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) i++;
      continue;
    }
    const takesValue = option.required || option.optional;
    if (!takesValue && inlineValue !== undefined) {
      problems.push({ argv: [...argv], problem: `${name} takes no value, but was given "${inlineValue}"` });
    }
    if (takesValue && inlineValue === undefined) {
      if (option.required && (i + 1 >= argv.length || argv[i + 1]!.startsWith('--'))) {
        problems.push({ argv: [...argv], problem: `${name} needs a value` });
      } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
        i++;
      }
    }
  }
  return problems;
}
