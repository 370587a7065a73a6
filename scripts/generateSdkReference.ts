/**
 * `node scripts/generateSdkReference.ts`: writes docs/sdk.md, the API reference of drover's three public
 * entry points (`drover` = src/sdk/index.ts, `drover/task`, `drover/sumo`), from the sources' TSDoc.
 * `--check` writes nothing: it fails (exit 1) when docs/sdk.md is out of date or an export has no TSDoc.
 *
 * TypeScript 7 has no JavaScript compiler API, so this reads the declarations itself. It relies on the
 * repository's style: one `export { … } from './File.ts'` per line or block in each index, and every
 * declaration starting at column 0 with `export`, its TSDoc right above it. Classes list their public
 * members (not `#private`, not `@internal`); interfaces and types are shown whole, comments included.
 *
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = join(root, 'docs', 'sdk.md');

/** The package's public entry points, as `package.json` `exports` names them. */
const ENTRY_POINTS = [
  { specifier: 'drover', file: 'src/sdk/index.ts' },
  { specifier: 'drover/task', file: 'src/task/index.ts' },
  { specifier: 'drover/sumo', file: 'src/sumo/index.ts' },
];

/** One documented export. */
interface ExportDoc {
  name: string;
  kind: string;
  /** Source file, relative to the repository root. */
  file: string;
  doc: string;
  /** TypeScript shown in a code block. */
  code: string;
  /** Public members of a class: signature and summary. */
  members: { signature: string; doc: string }[];
}

/** An exported name of a module and where to look for its declaration. */
interface ExportEntry {
  name: string;
  /** The name in `module` (differs with `as`). */
  original: string;
  /** Absolute path of the module to look in, or a package name (declared elsewhere). */
  module: string;
}

/** Exported names of a module, unresolved (see {@link resolveDeclaration}). */
function exportsOf(file: string): ExportEntry[] {
  const text = readFileSync(file, 'utf8');
  const found: ExportEntry[] = [];
  for (const m of text.matchAll(/^export (?:type )?\{([^}]*)\} from '([^']+)';/gm)) {
    const module = m[2]!.startsWith('.') ? resolve(dirname(file), m[2]!) : m[2]!;
    for (const part of m[1]!.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [original, alias] = part.replace(/^type\s+/, '').split(/\s+as\s+/);
      found.push({ name: alias ?? original!, original: original!, module });
    }
  }
  for (const m of text.matchAll(/^export (?:declare )?(?:abstract )?(?:async )?(?:function\*?|class|interface|type|const|let) ([A-Za-z_$][\w$]*)/gm)) {
    found.push({ name: m[1]!, original: m[1]!, module: file });
  }
  return found;
}

/** The file that declares `name`, starting from `file` (which may re-export it). */
function resolveDeclaration(file: string, name: string): string {
  if (!file.startsWith('/')) throw new Error(`${name} is declared in the package ${file}, not in drover`);
  const text = readFileSync(file, 'utf8');
  if (new RegExp(`^export (?:declare )?(?:abstract )?(?:async )?(?:function\\*?|class|interface|type|const|let) ${escape(name)}\\b`, 'm').test(text)) return file;
  const hit = exportsOf(file).find((e) => e.name === name && e.module !== file);
  if (hit) return resolveDeclaration(hit.module, hit.original);
  // `import type { X } from './Y.ts'; export type { X };`
  const local = new RegExp(`^export (?:type )?\\{[^}]*\\b${escape(name)}\\b[^}]*\\};`, 'm').test(text);
  const imported = text.match(new RegExp(`^import (?:type )?\\{[^}]*\\b${escape(name)}\\b[^}]*\\} from '([^']+)';`, 'm'));
  if (local && imported) return resolveDeclaration(resolve(dirname(file), imported[1]!), name);
  throw new Error(`${relative(root, file)} does not export ${name}`);
}

function escape(s: string): string {
  return s.replace(/[$]/g, '\\$');
}

/** The TSDoc block ending on the line above `line` (index into `lines`), as text without the `*`s. */
function tsdocAbove(lines: string[], line: number): string {
  let end = line - 1;
  if (end < 0 || !lines[end]!.trim().endsWith('*/')) return '';
  let start = end;
  while (start >= 0 && !lines[start]!.trim().startsWith('/**')) start--;
  if (start < 0) return '';
  return lines
    .slice(start, end + 1)
    .map((l) => l.trim().replace(/^\/\*\*\s?/, '').replace(/\s?\*\/$/, '').replace(/^\*\s?/, ''))
    .join('\n')
    .trim();
}

/** From `start`, the lines up to the one that closes the first `{` (or ends with `;` before any). */
function blockFrom(lines: string[], start: number): string[] {
  let depth = 0;
  let opened = false;
  for (let i = start; i < lines.length; i++) {
    const code = lines[i]!.replace(/\/\/.*$/, '').replace(/'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g, "''");
    for (const ch of code) {
      if (ch === '{') {
        depth++;
        opened = true;
      } else if (ch === '}') depth--;
    }
    if ((opened && depth === 0) || (!opened && /;\s*$/.test(code))) return lines.slice(start, i + 1);
  }
  return lines.slice(start);
}

/** The header of a function or class: its declaration up to the body's opening brace. */
function headerOf(lines: string[], start: number): string {
  const out: string[] = [];
  for (let i = start; i < lines.length; i++) {
    out.push(lines[i]!);
    if (/\{\s*$/.test(lines[i]!) && !/[(<,]\s*\{\s*$/.test(lines[i]!)) break;
    if (/;\s*$/.test(lines[i]!)) break;
  }
  return out.join('\n').replace(/\s*\{\s*$/, '').replace(/;\s*$/, '');
}

/** Public members of the class whose body spans `body` (lines between its braces). */
function classMembers(body: string[]): { signature: string; doc: string }[] {
  const members: { signature: string; doc: string }[] = [];
  // Brackets open at the start of each line: a member starts only where none is.
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const line = body[i]!;
    const before = depth;
    for (const ch of line.replace(/\/\/.*$/, '').replace(/'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g, "''")) {
      if (ch === '{' || ch === '(' || ch === '[') depth++;
      else if (ch === '}' || ch === ')' || ch === ']') depth--;
    }
    if (before !== 0 || !/^ {2}[^ */}]/.test(line)) continue;
    const text = line.trim();
    const doc = tsdocAbove(body, i);
    if (text.startsWith('#') || /^(?:private|protected|static \{|static #|readonly #|async #|get #|set #)/.test(text) || /^(?:override )?(?:async )?\*?#/.test(text)) continue;
    if (doc.includes('@internal')) continue;
    const signature = headerOf(body, i)
      .split('\n')
      .map((l) => l.trim())
      .join(' ')
      // A property's initializer is an implementation detail; a parameter's default is not.
      .replace(/^([^(<=]*?)\s*=\s.*$/, '$1')
      .replace(/\(\s+/g, '(')
      .replace(/,\s*\)/g, ')');
    members.push({ signature, doc });
  }
  return members;
}

/** Document one export. */
function document(name: string, file: string): ExportDoc {
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = lines.findIndex((l) => new RegExp(`^export (?:declare )?(?:abstract )?(?:async )?(?:function\\*?|class|interface|type|const|let) ${escape(name)}\\b`).test(l));
  const decl = lines[at]!;
  const kind = decl.match(/\b(function|class|interface|type|const|let)\b/)![1]!;
  const doc = tsdocAbove(lines, at);
  const rel = relative(root, file);
  if (kind === 'class') {
    const block = blockFrom(lines, at);
    return { name, kind, file: rel, doc, code: headerOf(lines, at), members: classMembers(block.slice(1, -1)) };
  }
  if (kind === 'function') return { name, kind, file: rel, doc, code: headerOf(lines, at), members: [] };
  if (kind === 'const' || kind === 'let') {
    // An object literal or a long initializer: show the name and its declared type, not the value.
    const header = decl.replace(/\s*=.*$/, '');
    return { name, kind: 'const', file: rel, doc, code: header, members: [] };
  }
  return { name, kind, file: rel, doc, code: blockFrom(lines, at).join('\n'), members: [] };
}

/** TSDoc to Markdown: `@example` blocks become code, `{@link X}` becomes `X`, other tags a short line. */
function markdown(doc: string): string {
  const out: string[] = [];
  const parts = doc.split(/^(?=@\w+)/m);
  for (const part of parts) {
    const text = part.replace(/\{@link\s+([^}|\s]+)(?:\s*\|\s*([^}]+))?\}/g, (_m, target: string, label?: string) => `\`${label ?? target}\``);
    if (text.startsWith('@example')) {
      out.push('```ts\n' + text.replace(/^@example\s*/, '').trim() + '\n```');
    } else if (text.startsWith('@module') || text.startsWith('@internal')) {
      continue;
    } else if (/^@(param|returns|throws|default|see|deprecated)\b/.test(text)) {
      out.push(`*${text.match(/^@(\w+)/)![1]}* ${text.replace(/^@\w+\s*/, '').trim()}`);
    } else {
      out.push(text.trim());
    }
  }
  return out.filter(Boolean).join('\n\n');
}

/** The reference as Markdown, and the exports that lack TSDoc. */
export function generateSdkReference(): { markdown: string; undocumented: string[] } {
  const undocumented: string[] = [];
  const sections: string[] = [
    '# SDK reference',
    '',
    '<!-- Generated by `node scripts/generateSdkReference.ts` from the TSDoc in src/: edit the sources, not this file.',
    '     test/docs/sdkReference.test.ts fails when this file is out of date. -->',
    '',
    'The public API of drover\'s three entry points, from the TSDoc of their sources. For a guided tour read',
    '[concepts.md](concepts.md) first; for SUMO, [sumo.md](sumo.md).',
    '',
    ...ENTRY_POINTS.map((e) => `- [\`${e.specifier}\`](#${e.specifier.replace(/\//g, '')}) (\`${e.file}\`)`),
    '',
  ];
  for (const entry of ENTRY_POINTS) {
    const index = join(root, entry.file);
    const moduleDoc = tsdocAbove(readFileSync(index, 'utf8').split('\n'), readFileSync(index, 'utf8').split('\n').findIndex((l) => /^\s*\*\/\s*$/.test(l)) + 1);
    sections.push(`## ${entry.specifier}`, '', '```ts', `import { … } from '${entry.specifier}';`, '```', '');
    if (moduleDoc) sections.push(markdown(moduleDoc), '');
    const seen = new Set<string>();
    for (const { name, original, module } of exportsOf(index)) {
      if (seen.has(name)) continue;
      seen.add(name);
      const d = document(name, resolveDeclaration(module, original));
      if (d.doc === '') undocumented.push(`${entry.specifier}: ${name} (${d.file})`);
      sections.push(`### ${name}`, '', `*${d.kind}* · [${d.file}](../${d.file})`, '', '```ts', d.code, '```', '');
      if (d.doc) sections.push(markdown(d.doc), '');
      if (d.members.length > 0) {
        for (const m of d.members) {
          const summary = markdown(m.doc);
          sections.push(`- \`${m.signature.replace(/`/g, "'")}\`${summary ? `\n\n  ${summary.split('\n').join('\n  ')}` : ''}`, '');
        }
      }
    }
  }
  return { markdown: sections.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n', undocumented };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const { markdown: text, undocumented } = generateSdkReference();
  if (undocumented.length > 0) {
    process.stderr.write(`exports without TSDoc:\n  ${undocumented.join('\n  ')}\n`);
  }
  if (values.check) {
    const current = readFileSync(OUTPUT, 'utf8');
    if (current !== text) {
      process.stderr.write('docs/sdk.md is out of date: run `node scripts/generateSdkReference.ts`\n');
      process.exit(1);
    }
    if (undocumented.length > 0) process.exit(1);
  } else {
    writeFileSync(OUTPUT, text);
    process.stdout.write(`wrote ${relative(root, OUTPUT)}\n`);
  }
}
