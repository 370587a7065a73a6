// The progress bar `jobs watch`, `map --progress` and `sumo sweep` draw: a redrawn line on a terminal,
// one plain line per change otherwise, with rate and ETA.
import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../../../src/cli/ProgressBar.ts';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = { isTTY, write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}

describe('ProgressBar', () => {
  it('without a terminal writes a line only when the count changes', () => {
    const { stream, text } = fakeStream(false);
    const bar = new ProgressBar(10, 'job', stream);
    bar.update(2, 10, 'a');
    bar.update(2, 10, 'a');
    bar.update(5, 12, 'a');
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^job 2\/10 \d+(\.\d)?\/s \d+\.\ds a$/);
    expect(lines[1]).toMatch(/^job 5\/12 /);
  });

  it('on a terminal redraws one line with a bar and ends it when done', () => {
    const { stream, text } = fakeStream(true);
    const bar = new ProgressBar(4, 'map', stream);
    for (let i = 0; i < 4; i++) bar.tick();
    const out = text();
    expect(out.split('\r')).toHaveLength(5);
    expect(out).toMatch(/\rmap \[#{30}\] 4\/4 /);
    expect(out.endsWith('\n')).toBe(true);
    expect(out.split('\n')).toHaveLength(2);
  });

  it('on a terminal ends the line once however often it is redrawn at the same count, and goes on when the total grows', () => {
    const { stream, text } = fakeStream(true);
    const bar = new ProgressBar(3, 'watch', stream);
    for (let i = 0; i < 5; i++) bar.update(3, 3, 'input streaming');
    expect(text().split('\n')).toHaveLength(2);
    bar.update(3, 6, 'input streaming');
    bar.update(6, 6);
    expect(text().split('\n')).toHaveLength(3);
    expect(text()).toMatch(/\rwatch \[#{30}\] 6\/6 /);
  });

  it('shows an ETA while work is left and the rate is known', () => {
    const { stream, text } = fakeStream(false);
    const bar = new ProgressBar(100, 'w', stream);
    bar.update(10, 100);
    // Busy-wait a little so some time passes between the two updates (no timers, no assertions on time).
    const until = performance.now() + 20;
    while (performance.now() < until);
    bar.update(50, 100);
    const last = text().trimEnd().split('\n').at(-1)!;
    expect(last).toMatch(/^w 50\/100 \d+(\.\d)?\/s \d+\.\ds ETA \d+(\.\d)?s$/);
  });
});
