// The README's first code — tasks.ts and main.ts of the tour — as a user would run it: copied into a fresh
// project that depends on drover, run with `node main.ts` on the embedded cluster.
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** The ```ts blocks of the README whose first line is `// <name>`. */
function readmeFile(name: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith(`// ${name}`));
  if (!block) throw new Error(`README.md has no \`\`\`ts block starting with "// ${name}"`);
  return block;
}

it('the tour’s tasks.ts and main.ts run as shown and print results in the order the README says', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-readme-'));
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-tour', type: 'module', private: true }));
    mkdirSync(join(dir, 'node_modules'));
    // `npm install drover`, as a link to this checkout.
    symlinkSync(root, join(dir, 'node_modules', 'drover'), 'dir');
    writeFileSync(join(dir, 'tasks.ts'), readmeFile('tasks.ts'));
    writeFileSync(join(dir, 'main.ts'), readmeFile('main.ts'));
    const { stdout } = await run(process.execPath, ['main.ts'], {
      cwd: dir,
      env: { ...process.env, DROVER_ADDRESS: '', DROVER_LOG_LEVEL: 'warn' },
      timeout: 60_000,
    });
    // console.log of the map's array (input order), then one object per imapUnordered result.
    const squares = [...stdout.matchAll(/x: (\d+), square: (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(squares.slice(0, 3)).toEqual([[1, 1], [2, 4], [3, 9]]);
    expect(squares.slice(3).sort((a, b) => a[0]! - b[0]!)).toEqual([[4, 16], [5, 25], [6, 36]]);
    expect(stdout).toMatch(/worker: 'worker-\d+'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
