import { describe, expect, it } from 'vitest';
import { TaskQueue } from '../../../src/coordinator/TaskQueue.ts';

describe('TaskQueue', () => {
  it('is FIFO, and unshift puts an item back at the front', () => {
    const queue = new TaskQueue<number>();
    for (let i = 0; i < 5; i++) queue.push(i);
    expect(queue.shift()).toBe(0);
    expect(queue.shift()).toBe(1);
    queue.unshift(1);
    queue.unshift(99);
    expect(queue.length).toBe(5);
    expect(queue.drain()).toEqual([99, 1, 2, 3, 4]);
    expect(queue.length).toBe(0);
    expect(queue.shift()).toBeUndefined();
    queue.unshift(7);
    expect(queue.shift()).toBe(7);
  });

  it('stays in order across compaction', () => {
    const queue = new TaskQueue<number>();
    const out: number[] = [];
    for (let i = 0; i < 5000; i++) queue.push(i);
    for (let i = 0; i < 3000; i++) out.push(queue.shift()!);
    queue.unshift(-1);
    for (let i = 5000; i < 6000; i++) queue.push(i);
    let next: number | undefined;
    while ((next = queue.shift()) !== undefined) out.push(next);
    expect(out).toEqual([...Array.from({ length: 3000 }, (_, i) => i), -1, ...Array.from({ length: 3000 }, (_, i) => 3000 + i)]);
  });
});
