import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quoteNodeOptions } from '../../../src/agent/quoteNodeOptions.ts';

describe('quoteNodeOptions', () => {
  it('leaves plain flags as they are', () => {
    expect(quoteNodeOptions(['--max-old-space-size=512', '--heap-growing-percent=150'])).toBe('--max-old-space-size=512 --heap-growing-percent=150');
    expect(quoteNodeOptions([])).toBe('');
  });

  it("quotes flags with spaces, quotes or backslashes so that Node's own NODE_OPTIONS parser reads them back whole", () => {
    const title = 'drover "agent" \\ one';
    const options = quoteNodeOptions([`--title=${title}`, '--max-old-space-size=300']);
    const out = execFileSync(process.execPath, ['-e', 'console.log(JSON.stringify([process.title, process.execArgv]))'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: options },
    });
    const [seenTitle] = JSON.parse(out) as [string, string[]];
    expect(seenTitle).toBe(title);
  });
});
