// Large task inputs and result runs of a file database live in files beside it (PayloadFiles): each is
// written before the commit that refers to it, read back after a restart, and removed once its row is.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoordinatorStore, SPILL_BYTES } from '../../../src/coordinator/store/CoordinatorStore.ts';
import type { JobRow } from '../../../src/coordinator/store/JobRow.ts';
import type { TaskRow } from '../../../src/coordinator/store/TaskRow.ts';

let dir: string;
let store: CoordinatorStore | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drover-payload-files-'));
});

afterEach(() => {
  store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const jobRow = (no: number): JobRow => ({
  no, id: `j-${no}`, name: 'job', owner: '', spec: new Uint8Array([1]), state: 'open', endMessage: '', createdAtMs: 1,
  tasksSubmitted: 0, inputEnded: false, totalTasks: 0, tasksCompleted: 0, tasksFailed: 0, lastRseq: 0, receivedRseq: 0, purged: false,
});
const task = (jobNo: number, seq: number, payload: Uint8Array): TaskRow => ({
  jobNo, seq, payload, items: 1, firstIndex: seq, attempt: 0, attemptId: '', agent: '', startedAtMs: 0,
});
/** Distinct bytes per value, so that a mix-up shows. */
const bytes = (size: number, seed: number): Buffer => {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 255;
  return b;
};

describe('CoordinatorStore with payload files', () => {
  it('keeps inputs and result runs over SPILL_BYTES in files, reads them back after a restart, and removes each with its row', () => {
    const path = join(dir, 'db.sqlite');
    const files = () => readdirSync(`${path}-payloads`).sort();
    store = CoordinatorStore.open({ path });
    const no = store.allocateJobNo();
    store.putJob({ no, toRow: () => jobRow(no) });
    const big = task(no, 0, bytes(SPILL_BYTES + 1, 1));
    const small = task(no, 1, bytes(SPILL_BYTES, 2));
    store.putTask(big);
    store.putTask(small);
    const bigResult = bytes(SPILL_BYTES + 10, 3);
    store.putResult(no, 1, bigResult);
    store.commit();
    store.putResult(no, 2, bytes(100, 4));
    store.commit();
    // Only the large input and the large run have files; each file is the value itself.
    expect(files()).toEqual([`r.${no}.1`, `t.${no}.0`]);

    store.close();
    store = CoordinatorStore.open({ path });
    const tasks = [...store.tasksOf(no)];
    expect(tasks.map((t) => t.seq)).toEqual([0, 1]);
    expect(Buffer.from(tasks[0].payload).equals(big.payload)).toBe(true);
    expect(Buffer.from(tasks[1].payload).equals(small.payload)).toBe(true);
    const results = [...store.resultsAfter(no, 0)];
    expect(results.map((r) => r.rseq)).toEqual([1, 2]);
    expect(Buffer.from(results[0].result).equals(bigResult)).toBe(true);

    // The task gets its final result: its row and then its file go. So does a run once received.
    store.deleteTask({ ...big, payload: tasks[0].payload });
    store.commit();
    expect(files()).toEqual([`r.${no}.1`]);
    store.forgetResults(no, 1);
    store.commit();
    expect(files()).toEqual([]);
    expect([...store.resultsAfter(no, 0)].map((r) => r.rseq)).toEqual([2]);
  });

  it('removes every file of a purged job, and those of runs received after a restart', () => {
    const path = join(dir, 'db.sqlite');
    store = CoordinatorStore.open({ path });
    const [a, b, c] = [store.allocateJobNo(), store.allocateJobNo(), store.allocateJobNo()];
    for (const no of [a, b, c]) {
      store.putJob({ no, toRow: () => jobRow(no) });
      store.putTask(task(no, 0, bytes(SPILL_BYTES * 2, no)));
      store.putResult(no, 1, bytes(SPILL_BYTES * 2, no + 10));
      store.commit();
      store.putResult(no, 2, bytes(SPILL_BYTES * 2, no + 20));
      store.commit();
    }
    // Purged in the session that wrote its files.
    store.purgeJob(c);
    store.commit();
    expect(readdirSync(`${path}-payloads`).filter((name) => name.split('.')[1] === String(c))).toEqual([]);
    store.close();
    store = CoordinatorStore.open({ path });
    store.purgeJob(a);
    store.forgetResults(b, 2);
    store.commit();
    expect(readdirSync(`${path}-payloads`)).toEqual([`t.${b}.0`]);
    expect(store.countRows('results', b)).toBe(0);
    expect(store.countRows('tasks', a)).toBe(0);
  });

  it('writes no file for a task inserted and deleted before one commit, nor for a commit that failed before it', () => {
    const path = join(dir, 'db.sqlite');
    store = CoordinatorStore.open({ path });
    const no = store.allocateJobNo();
    store.putJob({ no, toRow: () => jobRow(no) });
    const quick = task(no, 0, bytes(SPILL_BYTES * 2, 5));
    store.putTask(quick);
    store.deleteTask(quick);
    let bad = true;
    store.putJob({ no: no + 1, toRow: () => ({ ...jobRow(no + 1), spec: bad ? (Symbol('x') as unknown as Uint8Array) : new Uint8Array() }) });
    store.putTask(task(no, 1, bytes(SPILL_BYTES * 2, 6)));
    expect(() => store!.commit()).toThrow();
    expect(readdirSync(`${path}-payloads`)).toEqual([]);
    bad = false;
    store.commit();
    expect(readdirSync(`${path}-payloads`)).toEqual([`t.${no}.1`]);
  });

  it('removes files no row refers to (a crash between a file and its commit, or a row and its file) at the next start', () => {
    const path = join(dir, 'db.sqlite');
    store = CoordinatorStore.open({ path });
    const no = store.allocateJobNo();
    store.putJob({ no, toRow: () => jobRow(no) });
    store.putTask(task(no, 0, bytes(SPILL_BYTES * 2, 7)));
    store.commit();
    store.close();
    writeFileSync(join(`${path}-payloads`, `t.${no}.1`), 'never committed');
    writeFileSync(join(`${path}-payloads`, `r.${no}.5`), 'row already deleted');
    store = CoordinatorStore.open({ path });
    expect(readdirSync(`${path}-payloads`)).toEqual([`t.${no}.0`]);
    expect([...store.tasksOf(no)][0].payload.length).toBe(SPILL_BYTES * 2);
  });

  it('syncs each file before its commit with synchronous "full", and keeps an in-memory store free of files', () => {
    const path = join(dir, 'db.sqlite');
    store = CoordinatorStore.open({ path, synchronous: 'full' });
    const no = store.allocateJobNo();
    store.putJob({ no, toRow: () => jobRow(no) });
    const value = bytes(SPILL_BYTES * 3, 8);
    store.putTask(task(no, 0, value));
    store.commit();
    store.checkpoint();
    store.close();
    store = CoordinatorStore.open({ path });
    expect(Buffer.from([...store.tasksOf(no)][0].payload).equals(value)).toBe(true);
    store.close();

    store = CoordinatorStore.open();
    const m = store.allocateJobNo();
    store.putJob({ no: m, toRow: () => jobRow(m) });
    store.putTask(task(m, 0, value));
    store.commit();
    expect(Buffer.from([...store.tasksOf(m)][0].payload).equals(value)).toBe(true);
    expect(existsSync(':memory:-payloads')).toBe(false);
  });
});
