import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobRow } from '../../../src/coordinator/store/JobRow.ts';
import { ATTEMPT_WRITE_AFTER_MS, CoordinatorStore } from '../../../src/coordinator/store/CoordinatorStore.ts';
import type { TaskRow } from '../../../src/coordinator/store/TaskRow.ts';
import { SCHEMA_SQL, SCHEMA_VERSION } from '../../../src/coordinator/store/schema.ts';

/** The `results` table as schemas 1–3 had it (a row per result; WITHOUT ROWID from schema 3). */
const SCHEMA_3_RESULTS = `CREATE TABLE results (
  job    INTEGER NOT NULL,
  rseq   INTEGER NOT NULL,
  seq    INTEGER NOT NULL,
  result BLOB NOT NULL,
  PRIMARY KEY (job, rseq)
) WITHOUT ROWID;`;

let dir: string;
let store: CoordinatorStore | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drover-store-test-'));
});

afterEach(() => {
  store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function jobRow(no: number, overrides: Partial<JobRow> = {}): JobRow {
  return {
    no,
    id: `j-${no}`,
    name: 'job',
    owner: '',
    spec: new Uint8Array([1, 2, 3]),
    state: 'open',
    endMessage: '',
    createdAtMs: 1000 + no,
    tasksSubmitted: 0,
    inputEnded: false,
    totalTasks: 0,
    tasksCompleted: 0,
    tasksFailed: 0,
    lastRseq: 0,
    receivedRseq: 0,
    purged: false,
    ...overrides,
  };
}

function task(jobNo: number, seq: number, overrides: Partial<TaskRow> = {}): TaskRow {
  return { jobNo, seq, payload: Buffer.from(`p${seq}`), items: 1, firstIndex: seq, attempt: 0, attemptId: '', agent: '', startedAtMs: 0, ...overrides };
}

describe('CoordinatorStore', () => {
  it('writes nothing until commit, then everything in one transaction, many rows per statement', () => {
    store = CoordinatorStore.open({ path: join(dir, 'db.sqlite') });
    const no = store.allocateJobNo();
    const row = jobRow(no, { tasksSubmitted: 150 });
    store.putJob({ no, toRow: () => row });
    // 150 = two full chunks of 64 and 22 single rows.
    const tasks = Array.from({ length: 150 }, (_, seq) => task(no, seq));
    for (const t of tasks) store.putTask(t);
    expect(store.countRows('tasks')).toBe(0);
    expect(store.commit()).toBe(151);
    expect(store.countRows('tasks', no)).toBe(150);
    expect(store.hasPendingWrites).toBe(false);

    // Attempts are read from the rows at commit time; done tasks are deleted, results stored.
    const assigned = tasks.slice(0, 70).map((t, i) => ({ ...t, attempt: 1, attemptId: `b.${i}`, agent: 'agent-1', startedAtMs: performance.now() - ATTEMPT_WRITE_AFTER_MS }));
    for (const t of assigned) store.updateTask(t);
    for (const t of tasks.slice(100, 170)) store.deleteTask(t);
    for (let i = 0; i < 50; i++) store.putResult(no, i + 1, new Uint8Array([i]));
    store.commit();
    const left = [...store.tasksOf(no)];
    expect(left).toHaveLength(100);
    expect(left[69]).toMatchObject({ seq: 69, attempt: 1, attemptId: 'b.69', agent: 'agent-1', items: 1, firstIndex: 69 });
    expect(left[70]).toMatchObject({ seq: 70, attempt: 0, attemptId: '' });
    expect(Buffer.from(left[5].payload).toString()).toBe('p5');
    expect([...store.resultsAfter(no, 47)].map((r) => [r.rseq, r.result[0]])).toEqual([[48, 47], [49, 48], [50, 49]]);

    // The commit's 50 results are one run (one row).
    expect(store.countRows('results', no)).toBe(1);
    store.putResult(no, 51, new Uint8Array([50]));
    store.commit();
    expect([...store.resultsAfter(no, 49)].map((r) => [r.rseq, r.result[0]])).toEqual([[50, 49], [51, 50]]);
    // A run partly received stays (a replay starts after what the client has) until a confirmation covers it.
    store.forgetResults(no, 45);
    store.commit();
    expect(store.countRows('results', no)).toBe(2);
    store.forgetResults(no, 50);
    store.commit();
    expect(store.countRows('results', no)).toBe(1);
    expect([...store.resultsAfter(no, 50)].map((r) => r.rseq)).toEqual([51]);
    store.purgeJob(no);
    store.commit();
    expect(store.countRows('tasks')).toBe(0);
    expect(store.countRows('results')).toBe(0);
    expect(store.loadJobs()).toEqual([row]);
  });

  it('deletes done tasks by runs of consecutive seqs and one by one, in any order, and nothing else', () => {
    store = CoordinatorStore.open({ path: join(dir, 'db.sqlite') });
    const a = store.allocateJobNo();
    const b = store.allocateJobNo();
    const rowA = jobRow(a);
    const rowB = jobRow(b);
    store.putJob({ no: a, toRow: () => rowA });
    store.putJob({ no: b, toRow: () => rowB });
    const tasksA = Array.from({ length: 100 }, (_, seq) => task(a, seq));
    const tasksB = Array.from({ length: 20 }, (_, seq) => task(b, seq));
    for (const t of [...tasksA, ...tasksB]) store.putTask(t);
    store.commit();
    // Job a: runs 0–3, 7–8, 12–14 and 20–89 (70: ranges), singles 5, 10 and 99; the seqs come out of order
    // and interleaved with job b's (the order results arrive in).
    const doneA = [3, 1, 99, 0, 2, 5, 8, 7, 10, 14, 12, 13, ...Array.from({ length: 70 }, (_, i) => 89 - i)];
    const doneB = [19, 0, 1];
    doneA.forEach((seq, i) => {
      store!.deleteTask(tasksA[seq]!);
      if (i < doneB.length) store!.deleteTask(tasksB[doneB[i]!]!);
    });
    store.commit();
    const done = new Set(doneA);
    expect([...store.tasksOf(a)].map((t) => t.seq)).toEqual(tasksA.map((t) => t.seq).filter((seq) => !done.has(seq)));
    expect([...store.tasksOf(b)].map((t) => t.seq)).toEqual(Array.from({ length: 17 }, (_, i) => i + 2));
  });

  it('writes a first attempt only once it has run ATTEMPT_WRITE_AFTER_MS; retries and requeues of written ones at once', () => {
    store = CoordinatorStore.open({ path: join(dir, 'db.sqlite') });
    const no = store.allocateJobNo();
    store.putJob({ no, toRow: () => jobRow(no) });
    const rows = Array.from({ length: 6 }, (_, seq) => ({ ...task(no, seq) }));
    for (const t of rows) store.putTask(t);
    store.commit();
    const stored = () => Object.fromEntries([...store!.tasksOf(no)].map((t) => [t.seq, [t.attempt, t.attemptId]]));
    const now = performance.now();
    const assign = (t: (typeof rows)[number], attempt: number, startedAtMs: number) => {
      Object.assign(t, { attempt, attemptId: `a.${t.seq}.${attempt}`, agent: 'agent-1', startedAtMs });
      store!.updateTask(t);
    };
    // In assignment order: 1 started long ago; 0 just now; 2 now, then done; 3 now, then back in the queue.
    assign(rows[1]!, 1, now - 10 * ATTEMPT_WRITE_AFTER_MS);
    assign(rows[0]!, 1, now);
    assign(rows[2]!, 1, now);
    assign(rows[3]!, 1, now);
    expect(store.nextAttemptDueMs).toBeCloseTo(now - 9 * ATTEMPT_WRITE_AFTER_MS, 6);
    store.deleteTask(rows[2]!);
    Object.assign(rows[3]!, { attemptId: '', agent: '' });
    store.updateTask(rows[3]!);
    store.commit();
    expect(stored()).toEqual({ 0: [0, ''], 1: [1, 'a.1.1'], 3: [0, ''], 4: [0, ''], 5: [0, ''] });
    expect(store.nextAttemptDueMs).toBeCloseTo(now + ATTEMPT_WRITE_AFTER_MS, 6);

    // A retry is written at once; so is the requeue of a written attempt.
    assign(rows[3]!, 2, performance.now());
    Object.assign(rows[1]!, { attemptId: '', agent: '' });
    store.updateTask(rows[1]!);
    store.commit();
    expect(stored()).toMatchObject({ 0: [0, ''], 1: [1, ''], 3: [2, 'a.3.2'] });

    // Due (or at shutdown: flushAttempts(Infinity)), the first attempt is written by the next commit.
    store.flushAttempts(now + ATTEMPT_WRITE_AFTER_MS);
    assign(rows[4]!, 1, performance.now());
    store.flushAttempts(Infinity);
    expect(store.nextAttemptDueMs).toBeUndefined();
    store.commit();
    expect(stored()).toMatchObject({ 0: [1, 'a.0.1'], 4: [1, 'a.4.1'], 5: [0, ''] });
    // Written once, its requeue is written too.
    Object.assign(rows[0]!, { attemptId: '', agent: '' });
    store.updateTask(rows[0]!);
    store.commit();
    expect(stored()).toMatchObject({ 0: [1, ''] });
  });

  it('keeps pending writes when a commit fails, and writes them with the next one', () => {
    store = CoordinatorStore.open();
    const no = store.allocateJobNo();
    store.putJob({ no, toRow: () => jobRow(no) });
    store.putTask(task(no, 0));
    // Same key twice in one job row insert cannot fail; make the spec unbindable once instead.
    let bad = true;
    store.putJob({ no: no + 100, toRow: () => jobRow(no + 100, { spec: bad ? (Symbol('x') as unknown as Uint8Array) : new Uint8Array() }) });
    expect(() => store!.commit()).toThrow();
    expect(store.countRows('tasks')).toBe(0);
    expect(store.hasPendingWrites).toBe(true);
    bad = false;
    store.commit();
    expect(store.countRows('tasks')).toBe(1);
    expect(store.countRows('jobs')).toBe(2);
  });

  it('checkpoints the WAL into the database file on demand, keeping every commit', () => {
    const path = join(dir, 'db.sqlite');
    store = CoordinatorStore.open({ path });
    expect(store.commitsSinceCheckpoint).toBe(0);
    const no = store.allocateJobNo();
    store.putJob({ no, toRow: () => jobRow(no) });
    for (let seq = 0; seq < 200; seq++) store.putTask(task(no, seq, { payload: Buffer.alloc(1000, seq) }));
    store.commit();
    expect(store.commitsSinceCheckpoint).toBe(1);
    // The commit is in the WAL: the database file does not hold the 200 KB of payloads yet.
    const before = statSync(path).size;
    expect(before).toBeLessThan(200_000);
    store.checkpoint();
    expect(store.commitsSinceCheckpoint).toBe(0);
    expect(statSync(path).size).toBeGreaterThan(200_000);
    store.close();
    store = CoordinatorStore.open({ path });
    expect(store.countRows('tasks', no)).toBe(200);
  });

  it('creates databases with 16 KiB pages; one made with 4 KiB pages keeps them', () => {
    const pragma = (path: string, name: string) => {
      const db = new DatabaseSync(path);
      try {
        return (db.prepare(`PRAGMA ${name}`).get() as Record<string, number>)[name];
      } finally {
        db.close();
      }
    };
    const path = join(dir, 'new.sqlite');
    store = CoordinatorStore.open({ path });
    const no = store.allocateJobNo();
    store.putJob({ no, toRow: () => jobRow(no) });
    // A value far larger than a page (overflow pages) goes in and comes back whole.
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 5);
    store.putTask(task(no, 0, { payload: big }));
    store.commit();
    store.close();
    store = undefined;
    expect(pragma(path, 'page_size')).toBe(16384);
    store = CoordinatorStore.open({ path });
    expect(Buffer.from([...store.tasksOf(no)][0].payload).equals(big)).toBe(true);
    store.close();
    store = undefined;

    // A database from before (SQLite's default page size) is used as it is.
    const old = join(dir, 'old.sqlite');
    const db = new DatabaseSync(old);
    db.exec('PRAGMA page_size = 4096');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(SCHEMA_SQL);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.close();
    store = CoordinatorStore.open({ path: old });
    const oldNo = store.allocateJobNo();
    store.putJob({ no: oldNo, toRow: () => jobRow(oldNo) });
    store.putTask(task(oldNo, 0, { payload: big }));
    store.commit();
    store.close();
    store = undefined;
    expect(pragma(old, 'page_size')).toBe(4096);
    store = CoordinatorStore.open({ path: old });
    expect(Buffer.from([...store.tasksOf(oldNo)][0].payload).equals(big)).toBe(true);
  });

  it('keeps every committed transaction when the process is killed', () => {
    const path = join(dir, 'db.sqlite');
    const storeModule = new URL('../../../src/coordinator/store/CoordinatorStore.ts', import.meta.url).pathname;
    const script = `
      import { CoordinatorStore } from ${JSON.stringify(storeModule)};
      const store = CoordinatorStore.open({ path: ${JSON.stringify(path)} });
      const no = store.allocateJobNo();
      const row = { no, id: 'j-killed', name: 'n', owner: 'alice', spec: new Uint8Array([1]), state: 'open', endMessage: '', createdAtMs: 1,
        tasksSubmitted: 3, inputEnded: true, totalTasks: 3, tasksCompleted: 1, tasksFailed: 0, lastRseq: 1, receivedRseq: 0, purged: false };
      store.putJob({ no, toRow: () => row });
      for (const seq of [1, 2]) store.putTask({ jobNo: no, seq, payload: new Uint8Array([seq]), items: 1, firstIndex: seq, attempt: 0, attemptId: '', agent: '' });
      store.putResult(no, 1, new Uint8Array([9]));
      store.commit();
      // Written but never committed: must not appear.
      store.putTask({ jobNo: no, seq: 3, payload: new Uint8Array([3]), items: 1, firstIndex: 3, attempt: 0, attemptId: '', agent: '' });
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    store = CoordinatorStore.open({ path });
    const [job] = store.loadJobs();
    expect(job).toMatchObject({ id: 'j-killed', tasksSubmitted: 3, inputEnded: true, lastRseq: 1 });
    expect([...store.tasksOf(job.no)].map((t) => t.seq)).toEqual([1, 2]);
    expect([...store.resultsAfter(job.no, 0)].map((r) => r.rseq)).toEqual([1]);
    expect(store.allocateJobNo()).toBe(job.no + 1);
  });

  it('refuses a database written by a newer schema', () => {
    const path = join(dir, 'db.sqlite');
    const db = new DatabaseSync(path);
    db.exec('PRAGMA user_version = 99');
    db.close();
    expect(() => CoordinatorStore.open({ path })).toThrow(/newer drover \(schema 99/);
  });

  it('stores job owners, and migrates a schema-1 database (its jobs get owner "")', () => {
    const path = join(dir, 'old.sqlite');
    const old = new DatabaseSync(path);
    // The jobs table as schema 1 had it (no owner column).
    old.exec(`CREATE TABLE jobs (no INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, spec BLOB NOT NULL,
      state TEXT NOT NULL, end_message TEXT NOT NULL DEFAULT '', created_at_ms INTEGER NOT NULL,
      tasks_submitted INTEGER NOT NULL DEFAULT 0, input_ended INTEGER NOT NULL DEFAULT 0, total_tasks INTEGER NOT NULL DEFAULT 0,
      tasks_completed INTEGER NOT NULL DEFAULT 0, tasks_failed INTEGER NOT NULL DEFAULT 0, last_rseq INTEGER NOT NULL DEFAULT 0,
      received_rseq INTEGER NOT NULL DEFAULT 0, purged INTEGER NOT NULL DEFAULT 0)`);
    old.exec(`INSERT INTO jobs (no, id, name, spec, state, created_at_ms) VALUES (1, 'j-old', 'n', x'01', 'open', 5)`);
    old.exec('PRAGMA user_version = 1');
    old.close();
    store = CoordinatorStore.open({ path });
    expect(store.loadJobs().map((j) => [j.id, j.owner])).toEqual([['j-old', '']]);
    const row = jobRow(store.allocateJobNo(), { owner: 'alice' });
    store.putJob({ no: row.no, toRow: () => row });
    store.commit();
    store.close();
    store = CoordinatorStore.open({ path });
    expect(store.loadJobs().map((j) => [j.id, j.owner])).toEqual([['j-old', ''], [row.id, 'alice']]);
  });

  it('migrates a schema-2 database: tasks become WITHOUT ROWID, results become runs, rows kept', () => {
    const path = join(dir, 'v2.sqlite');
    // Schema 2: every table with a rowid (the jobs table is unchanged since), results a row each.
    const old = new DatabaseSync(path);
    old.exec(SCHEMA_SQL.replaceAll(') WITHOUT ROWID;', ');'));
    old.exec('DROP TABLE result_runs');
    old.exec(SCHEMA_3_RESULTS.replace(') WITHOUT ROWID;', ');'));
    old.exec(`INSERT INTO jobs (no, id, name, spec, state, created_at_ms, owner) VALUES (1, 'j-2', 'n', x'01', 'open', 5, 'bob')`);
    old.exec(`INSERT INTO tasks (job, seq, payload, items, first_index, attempt, attempt_id, agent) VALUES (1, 7, x'0707', 1, 7, 2, 'a.7', 'agent-1')`);
    old.exec(`INSERT INTO results (job, rseq, seq, result) VALUES (1, 1, 3, x'03'), (1, 2, 4, x'04')`);
    old.exec('PRAGMA user_version = 2');
    old.close();
    const withoutRowid = (db: DatabaseSync) =>
      (db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as { name: string; sql: string }[])
        .map((t) => [t.name, /WITHOUT ROWID$/.test(t.sql)]);

    store = CoordinatorStore.open({ path });
    const [job] = store.loadJobs();
    expect(job).toMatchObject({ id: 'j-2', owner: 'bob' });
    expect([...store.tasksOf(1)]).toEqual([{ seq: 7, payload: new Uint8Array([7, 7]), items: 1, firstIndex: 7, attempt: 2, attemptId: 'a.7', agent: 'agent-1' }]);
    expect([...store.resultsAfter(1, 0)].map((r) => [r.rseq, r.result[0]])).toEqual([[1, 3], [2, 4]]);
    store.deleteTask(task(1, 7));
    store.putResult(1, 3, new Uint8Array([7]));
    store.commit();
    store.close();
    store = undefined;
    const db = new DatabaseSync(path);
    expect(withoutRowid(db)).toEqual([['jobs', false], ['result_runs', true], ['tasks', true]]);
    expect((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT count(*) AS n FROM tasks').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM result_runs').get()).toEqual({ n: 3 });
    db.close();
  });

  it('migrates a schema-3 database: each stored result becomes a run of one, replayed as before', () => {
    const path = join(dir, 'v3.sqlite');
    const old = new DatabaseSync(path);
    old.exec(SCHEMA_SQL);
    old.exec('DROP TABLE result_runs');
    old.exec(SCHEMA_3_RESULTS);
    old.exec(`INSERT INTO jobs (no, id, name, spec, state, created_at_ms, owner, last_rseq) VALUES (1, 'j-3', 'n', x'01', 'open', 5, 'ann', 300)`);
    old.exec(`INSERT INTO results (job, rseq, seq, result) VALUES (1, 1, 0, x'0a'), (1, 2, 1, x'0b'), (1, 300, 299, x'0c0d')`);
    old.exec('PRAGMA user_version = 3');
    old.close();
    store = CoordinatorStore.open({ path });
    expect([...store.resultsAfter(1, 1)].map((r) => [r.rseq, [...r.result]])).toEqual([[2, [0x0b]], [300, [0x0c, 0x0d]]]);
    expect(store.countRows('results', 1)).toBe(3);
    store.forgetResults(1, 2);
    store.commit();
    expect([...store.resultsAfter(1, 0)].map((r) => r.rseq)).toEqual([300]);
  });
});
