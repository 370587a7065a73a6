/** One simple command of a documentation `sh` block. */
export interface ShellCommand {
  /** The Markdown file (relative path) and 1-based line where it starts. */
  where: string;
  /** Environment assignments before the command (`DROVER_ADDRESS=… node main.ts`). */
  env: Record<string, string>;
  /** The words, quotes removed. */
  argv: string[];
  /** The command as written (one logical line, continuations joined). */
  text: string;
}

/** Split a line into shell words: quotes and backslashes as sh does them; `#` after a space starts a comment. */
function words(line: string): string[][] {
  const commands: string[][] = [[]];
  let word: string | undefined;
  const push = () => {
    if (word !== undefined) commands.at(-1)!.push(word);
    word = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? '') + line.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? line.length : end;
    } else if (ch === '"') {
      let j = i + 1;
      let text = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\' && j + 1 < line.length) j++;
        text += line[j];
        j++;
      }
      word = (word ?? '') + text;
      i = j;
    } else if (ch === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (ch === '#' && word === undefined) {
      break;
    } else if (ch === ' ' || ch === '\t') {
      push();
    } else if (ch === ';' || ch === '|' || (ch === '&' && line[i + 1] === '&') || ch === '&') {
      push();
      if (line[i + 1] === ch) i++;
      commands.push([]);
    } else {
      word = (word ?? '') + ch;
    }
  }
  push();
  return commands.filter((c) => c.length > 0);
}

/**
 * The commands of every ```sh block of a Markdown text: continuation lines joined, comments dropped,
 * `&&`, `;`, `|` and `&` separating commands, here-document bodies skipped, leading `NAME=value`
 * assignments split off.
 */
export function extractShellCommands(markdown: string, file: string): ShellCommand[] {
  const lines = markdown.split('\n');
  const found: ShellCommand[] = [];
  let inBlock = false;
  let heredoc: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!inBlock) {
      inBlock = /^```(sh|bash|shell)\s*$/.test(line);
      continue;
    }
    if (line.startsWith('```')) {
      inBlock = false;
      continue;
    }
    if (heredoc !== undefined) {
      if (line.trim() === heredoc) heredoc = undefined;
      continue;
    }
    let logical = line;
    const start = i;
    while (logical.endsWith('\\') && i + 1 < lines.length) logical = logical.slice(0, -1) + ' ' + lines[++i]!.trim();
    heredoc = logical.match(/<<-?\s*'?([A-Za-z_]+)'?/)?.[1];
    if (heredoc !== undefined && /<<</.test(logical)) heredoc = undefined;
    for (const cmd of words(logical)) {
      const env: Record<string, string> = {};
      while (cmd.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(cmd[0]!)) {
        const [name, ...value] = cmd.shift()!.split('=');
        env[name!] = value.join('=');
      }
      // Redirections are not arguments.
      const argv = cmd.filter((w, k) => !/^\d?[<>]/.test(w) && !/^\d?[<>]/.test(cmd[k - 1] ?? '') );
      if (argv.length > 0) found.push({ where: `${file}:${start + 1}`, env, argv, text: logical.trim() });
    }
  }
  return found;
}
