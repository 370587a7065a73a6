import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { JobLifecycle } from '../JobState.ts';
import type { JobRow } from './JobRow.ts';
import { migrateSchema } from './migrateSchema.ts';
import { PayloadFiles } from './PayloadFiles.ts';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema.ts';
import type { TaskRow } from './TaskRow.ts';
import { decodeResultRun } from './decodeResultRun.ts';
import { encodeResultRun, type StoredResult } from './encodeResultRun.ts';

/** Options for {@link CoordinatorStore.open}. */
export interface CoordinatorStoreOptions {
  /** Database file; default `':memory:'` (same code path, nothing survives the process). */
  path?: string;
  /**
   * `'normal'` (default): WAL with `synchronous=NORMAL` — a commit survives the process being
   * killed; only an OS crash or power loss can lose the last commits (and the payload files written
   * with them, see {@link PayloadFiles}). `'full'` also syncs the WAL, and each payload file, at every
   * commit.
   */
  synchronous?: 'normal' | 'full';
}

/** Something whose current state is written as a `jobs` row at commit time (a `JobState`). */
export interface JobRowSource {
  readonly no: number;
  toRow(): JobRow;
}

export type { StoredResult };

/** A stored task as loaded on restart. */
export interface StoredTask {
  seq: number;
  /** Empty when {@link lostPayloadFile} is set. */
  payload: Uint8Array;
  /**
   * The payload file its row refers to, when that file is gone: with `synchronous: 'normal'` an OS crash
   * can lose one written in its last seconds (see {@link PayloadFiles}).
   */
  lostPayloadFile?: string;
  items: number;
  firstIndex: number;
  attempt: number;
  attemptId: string;
  agent: string;
}

interface PendingResult {
  job: number;
  rseq: number;
  result: Uint8Array;
}

/**
 * Rows per multi-row statement, largest first. One statement per row costs about twice as much per
 * row in `node:sqlite` (binding, stepping and resetting dominate for small rows), so the rows of a
 * commit are written in as few statements as these sizes allow — the smaller sizes matter when
 * commits are small (many agents, each sending a few results per turn).
 */
const STATEMENT_SIZES = [64, 16, 4, 1] as const;
/**
 * A task's first attempt is written once it has run this long (see {@link CoordinatorStore.updateTask}):
 * long enough that tiny tasks are never, short enough that a coordinator crash re-runs little work.
 */
export const ATTEMPT_WRITE_AFTER_MS = 250;

/**
 * Page size of a new database (an existing one keeps its own). `tasks` and `result_runs` are
 * `WITHOUT ROWID` tables, which handle rows much larger than a page slowly: with SQLite's default of
 * 4 KiB, inserting a 1 MiB input or result and committing took 1.3 ms and deleting it 0.43 ms, against
 * 0.46 and 0.07 ms with 16 KiB pages (a 1 MiB value spans 64 overflow pages instead of 256). Tiny-task
 * throughput and `apply` latency measured the same with either; 64 KiB pages made each small commit
 * write more and cost tiny tasks ~3 %.
 */
const PAGE_BYTES = 16 * 1024;

/**
 * WAL bytes after which SQLite checkpoints inside a commit. A checkpoint syncs the WAL and the
 * database file (milliseconds on a real disk) and SQLite's default of 1,000 pages made one of every
 * ~100 sequential `apply` calls wait for it; the scheduler checkpoints when it is idle
 * ({@link CoordinatorStore.checkpoint}), so this cap is reached only under sustained load.
 */
const WAL_AUTOCHECKPOINT_BYTES = 32 * 1024 * 1024;

/**
 * A task input or result run larger than this goes to a file of its own beside a file database
 * ({@link PayloadFiles}) instead of into a row. Below it SQLite is as quick as a file, and the few
 * system calls a file costs would weigh on the many small values.
 */
export const SPILL_BYTES = 256 * 1024;

const EMPTY = new Uint8Array(0);
const taskFile = (job: number, seq: number): string => `t.${job}.${seq}`;
const runFile = (job: number, firstRseq: number): string => `r.${job}.${firstRseq}`;

/** A result run kept in a file: its key and the last rseq it holds. */
interface SpilledRun {
  first: number;
  last: number;
}

/** `(?, ?, ...)` groups for a multi-row statement. */
function placeholders(columns: number, rows: number): string {
  const group = `(${Array(columns).fill('?').join(', ')})`;
  return Array(rows).fill(group).join(', ');
}

/** One row's values, appended to a statement's arguments. */
type Binder<T> = (row: T, args: SQLInputValue[]) => void;

const bindAttempt: Binder<TaskRow> = (t, args) => {
  args.push(t.jobNo, t.seq, t.attempt, t.attemptId, t.agent);
};

/**
 * The coordinator's durable state in one embedded SQLite database (`node:sqlite`): jobs, their
 * tasks (payload, attempt, the attempt's id and agent) and their results until the client has them.
 *
 * Writes are **group-committed**: the scheduler records what changed while it handles an event-loop
 * turn's messages (`putJob`, `putTask`, `updateTask`, `deleteTask`, `putResult`...), and `commit()`
 * writes all of it in one transaction. Task and job rows are read from the live objects at commit
 * time, so a task that changed three times in a turn is written once. Nothing the coordinator sends
 * that promises durability (results to clients, `results_accepted` to agents, `inputs_accepted`)
 * leaves before the commit that holds it.
 *
 * File databases run in WAL mode with an exclusive lock: a second coordinator on the same data
 * directory fails to open it instead of corrupting the first one's state. Their task inputs and result
 * runs over {@link SPILL_BYTES} live in files beside them ({@link PayloadFiles}): a 16 MiB chunk of
 * values moved through `drover local` at 161–274 MiB/s this way, against 106–153 MiB/s in rows.
 */
export class CoordinatorStore {
  readonly path: string;
  private readonly db: DatabaseSync;
  private readonly upsertJob: StatementSync;
  /** By row count, one per {@link STATEMENT_SIZES} entry. */
  private readonly insertTasks: Map<number, StatementSync>;
  private readonly updateTaskAttempts: Map<number, StatementSync>;
  /** `DELETE ... WHERE job = ? AND seq IN (...)`, by the number of seqs. */
  private readonly deleteTaskRows: Map<number, StatementSync>;
  /** `DELETE ... WHERE job = ? AND seq BETWEEN ? AND ?`: a run of consecutive done seqs. */
  private readonly deleteTaskRange: StatementSync;
  private readonly insertResultRun: StatementSync;
  private readonly deleteResultsThrough: StatementSync;
  private readonly deleteJobTasks: StatementSync;
  private readonly deleteJobResults: StatementSync;
  private readonly deleteJobRow: StatementSync;
  private readonly selectTasks: StatementSync;
  private readonly selectResults: StatementSync;
  private readonly checkpointWal: StatementSync;
  /** Where large values go (file databases only). */
  private readonly files: PayloadFiles | undefined;
  /** A file database's result runs kept in files, by job, in rseq order. */
  private readonly spilledRuns = new Map<number, SpilledRun[]>();
  /**
   * Jobs that may have files (written some since the open, or had some at it): a purge lists the
   * directory only for these, not for every job (a `map` of small values purges with no file to remove).
   */
  private readonly jobsWithFiles = new Set<number>();
  /** Result runs whose file was missing at open, by job (see {@link lostResultFiles}). */
  private readonly lostRuns = new Map<number, SpilledRun[]>();
  private readonly bindTask: Binder<TaskRow>;
  private nextJobNo: number;
  private closed = false;
  /** Commits since the last {@link checkpoint} (a file database's WAL holds them). */
  private uncheckpointed = 0;

  // Writes waiting for the next commit.
  private dirtyJobs = new Map<number, JobRowSource>();
  private newTasks: TaskRow[] = [];
  /** `newTasks` as a set: their insert writes the attempt as it is at commit, so no update is needed too. */
  private newTaskSet = new Set<TaskRow>();
  private dirtyTasks = new Set<TaskRow>();
  /**
   * First attempts not written yet, in assignment order: each is written by the first commit after it
   * has run {@link ATTEMPT_WRITE_AFTER_MS} (see {@link updateTask}); a task done before that never is.
   */
  private unwrittenAttempts = new Set<TaskRow>();
  /** Tasks whose row holds an attempt id: clearing it (a requeue) must be written. */
  private attemptOnDisk = new Set<TaskRow>();
  private doneTasks: TaskRow[] = [];
  private newResults: PendingResult[] = [];
  private receivedThrough = new Map<number, number>();
  private purges: number[] = [];
  private deletedJobs: number[] = [];

  private constructor(path: string, db: DatabaseSync, files: PayloadFiles | undefined) {
    this.path = path;
    this.db = db;
    this.files = files;
    // A large input is in its file (written by commit() first); its row keeps an empty blob.
    this.bindTask = (t, args) => {
      const payload = this.spills(t.payload) ? EMPTY : t.payload;
      args.push(t.jobNo, t.seq, payload, t.items, t.firstIndex, t.attempt, t.attemptId, t.agent);
    };
    this.upsertJob = db.prepare(`
      INSERT INTO jobs (no, id, name, spec, state, end_message, created_at_ms, tasks_submitted, input_ended,
                        total_tasks, tasks_completed, tasks_failed, last_rseq, received_rseq, purged, owner)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (no) DO UPDATE SET state = excluded.state, end_message = excluded.end_message,
        tasks_submitted = excluded.tasks_submitted, input_ended = excluded.input_ended,
        total_tasks = excluded.total_tasks, tasks_completed = excluded.tasks_completed,
        tasks_failed = excluded.tasks_failed, last_rseq = excluded.last_rseq,
        received_rseq = excluded.received_rseq, purged = excluded.purged`);
    const bySize = (sql: (rows: number) => string) => new Map(STATEMENT_SIZES.map((k) => [k, db.prepare(sql(k))]));
    const insertTask = 'INSERT OR REPLACE INTO tasks (job, seq, payload, items, first_index, attempt, attempt_id, agent) VALUES ';
    this.insertTasks = bySize((k) => insertTask + placeholders(8, k));
    this.updateTaskAttempts = bySize(
      (k) =>
        'UPDATE tasks SET attempt = v.column3, attempt_id = v.column4, agent = v.column5 ' +
        `FROM (VALUES ${placeholders(5, k)}) AS v WHERE tasks.job = v.column1 AND tasks.seq = v.column2`,
    );
    this.deleteTaskRows = bySize((k) => `DELETE FROM tasks WHERE job = ? AND seq IN (${Array(k).fill('?').join(', ')})`);
    this.deleteTaskRange = db.prepare('DELETE FROM tasks WHERE job = ? AND seq BETWEEN ? AND ?');
    this.insertResultRun = db.prepare('INSERT OR REPLACE INTO result_runs (job, first_rseq, last_rseq, results) VALUES (?, ?, ?, ?)');
    // A run partly received stays (replays skip what the client has) until a later confirmation covers it.
    this.deleteResultsThrough = db.prepare('DELETE FROM result_runs WHERE job = ? AND last_rseq <= ?');
    this.deleteJobTasks = db.prepare('DELETE FROM tasks WHERE job = ?');
    this.deleteJobResults = db.prepare('DELETE FROM result_runs WHERE job = ?');
    this.deleteJobRow = db.prepare('DELETE FROM jobs WHERE no = ?');
    this.selectTasks = db.prepare('SELECT seq, payload, items, first_index, attempt, attempt_id, agent FROM tasks WHERE job = ? ORDER BY seq');
    this.selectResults = db.prepare('SELECT first_rseq, results FROM result_runs WHERE job = ? AND last_rseq > ? ORDER BY first_rseq');
    this.checkpointWal = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
    const max = db.prepare('SELECT max(no) AS n FROM jobs').get() as { n: number | null };
    this.nextJobNo = (max.n ?? 0) + 1;
    if (files !== undefined) this.loadPayloadFiles(files);
  }

  /** Whether `bytes` go to a file of their own rather than into their row. */
  private spills(bytes: Uint8Array): boolean {
    return this.files !== undefined && bytes.length > SPILL_BYTES;
  }

  /** Learns which result runs are in files, and removes the files no row refers to (left by a crash). */
  private loadPayloadFiles(files: PayloadFiles): void {
    const keep = new Set<string>();
    // The blob's length is in the record header: no overflow page is read.
    for (const r of this.db.prepare('SELECT job, seq FROM tasks WHERE length(payload) = 0').iterate() as Iterable<{ job: number; seq: number }>) {
      keep.add(taskFile(r.job, r.seq));
    }
    const present = new Set(files.list());
    const runs = 'SELECT job, first_rseq, last_rseq FROM result_runs WHERE length(results) = 0 ORDER BY job, first_rseq';
    for (const r of this.db.prepare(runs).iterate() as Iterable<{ job: number; first_rseq: number; last_rseq: number }>) {
      const name = runFile(r.job, r.first_rseq);
      keep.add(name);
      const map = present.has(name) ? this.spilledRuns : this.lostRuns;
      let list = map.get(r.job);
      if (list === undefined) map.set(r.job, (list = []));
      list.push({ first: r.first_rseq, last: r.last_rseq });
    }
    for (const name of present) {
      if (!keep.has(name)) files.remove(name);
      else this.jobsWithFiles.add(Number(name.split('.')[1]));
    }
  }

  /**
   * The paths of a job's result-run files that were gone at open (an OS crash before they were synced;
   * see {@link StoredTask.lostPayloadFile}) and held results after `afterRseq`, the last its client
   * confirmed: results that can no longer be delivered.
   */
  lostResultFiles(jobNo: number, afterRseq: number): string[] {
    const lost = this.lostRuns.get(jobNo) ?? [];
    return lost.filter((run) => run.last > afterRseq).map((run) => join(this.files!.dir, runFile(jobNo, run.first)));
  }

  /** Opens (creating it if needed) the database at `options.path`, or an in-memory one. */
  static open(options: CoordinatorStoreOptions = {}): CoordinatorStore {
    const path = options.path ?? ':memory:';
    const db = new DatabaseSync(path);
    try {
      // First: once the database has tables (or, for a file, is in WAL mode) its page size is fixed.
      db.exec(`PRAGMA page_size = ${PAGE_BYTES}`);
      if (path !== ':memory:') {
        // Held from the first write until close: another process cannot open the database.
        db.exec('PRAGMA locking_mode = EXCLUSIVE');
        const mode = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
        if (mode.journal_mode !== 'wal') throw new Error(`could not switch ${path} to WAL mode (got ${mode.journal_mode})`);
      }
      db.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      db.exec('PRAGMA temp_store = MEMORY');
      db.exec('PRAGMA cache_size = -32768');
      const { page_size: pageBytes } = db.prepare('PRAGMA page_size').get() as { page_size: number };
      db.exec(`PRAGMA wal_autocheckpoint = ${Math.max(1, Math.floor(WAL_AUTOCHECKPOINT_BYTES / pageBytes))}`);
      const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
      if (version > SCHEMA_VERSION) {
        throw new Error(`${path} was written by a newer drover (schema ${version}, this one knows ${SCHEMA_VERSION})`);
      }
      db.exec('BEGIN IMMEDIATE');
      db.exec(SCHEMA_SQL);
      migrateSchema(db, version);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
      db.exec('COMMIT');
    } catch (error) {
      db.close();
      const message = (error as Error).message;
      if (/locked|busy/i.test(message)) {
        throw new Error(`the coordinator database ${path} is in use by another process (${message})`, { cause: error });
      }
      throw error;
    }
    try {
      const files = path === ':memory:' ? undefined : new PayloadFiles(`${path}-payloads`, options.synchronous === 'full');
      return new CoordinatorStore(path, db, files);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** A fresh job key. */
  allocateJobNo(): number {
    return this.nextJobNo++;
  }

  // ------------------------------------------------------------ writes (gathered until commit)

  /** Writes the job's row (inserting it the first time) with its state at commit time. */
  putJob(job: JobRowSource): void {
    this.dirtyJobs.set(job.no, job);
  }

  /** Inserts a new task row (with the task's state at commit time). */
  putTask(task: TaskRow): void {
    this.newTasks.push(task);
    this.newTaskSet.add(task);
  }

  /**
   * Rewrites a task's attempt, attempt id and agent with their values at commit time.
   *
   * A task's *first* attempt is written only once it has run {@link ATTEMPT_WRITE_AFTER_MS} (by the
   * first commit after that, or at {@link flushAttempts}): most tasks finish sooner, and their row then
   * goes from inserted to deleted with no update between, a third of the row writes of a tiny task.
   * After a crash, a first attempt the store never held is fenced off and its task runs again, as any
   * attempt the store does not know (so a crash costs at most that much work per running task). Later
   * attempts (retries) are written at once, so that retry counts outlive a restart.
   */
  updateTask(task: TaskRow): void {
    // A task inserted by the same commit (queued and dispatched in one turn) is written whole then.
    if (this.newTaskSet.has(task)) return;
    if (task.attempt === 1 && task.attemptId !== '' && !this.attemptOnDisk.has(task)) {
      this.unwrittenAttempts.add(task);
      return;
    }
    // Back in the queue before its first attempt was written: the row still says queued.
    if (task.attemptId === '' && this.unwrittenAttempts.delete(task) && !this.attemptOnDisk.has(task)) return;
    this.unwrittenAttempts.delete(task);
    this.dirtyTasks.add(task);
  }

  /** Deletes a task's row (it has its final result). A task inserted by the same commit is never written. */
  deleteTask(task: TaskRow): void {
    this.unwrittenAttempts.delete(task);
    if (this.newTaskSet.delete(task)) return;
    this.dirtyTasks.delete(task);
    this.attemptOnDisk.delete(task);
    this.doneTasks.push(task);
  }

  /**
   * When the oldest unwritten first attempt becomes due for writing (performance.now() clock), or
   * undefined when there is none: the scheduler commits then, even if nothing else happens.
   */
  get nextAttemptDueMs(): number | undefined {
    for (const task of this.unwrittenAttempts) return task.startedAtMs + ATTEMPT_WRITE_AFTER_MS;
    return undefined;
  }

  /** Makes the first attempts assigned before `now - ATTEMPT_WRITE_AFTER_MS` (all with `Infinity`: a shutdown) part of the next commit. */
  flushAttempts(now: number): void {
    for (const task of this.unwrittenAttempts) {
      if (task.startedAtMs + ATTEMPT_WRITE_AFTER_MS > now) break;
      this.unwrittenAttempts.delete(task);
      this.dirtyTasks.add(task);
    }
  }

  /** Stores a final result under its delivery sequence. */
  putResult(jobNo: number, rseq: number, result: Uint8Array): void {
    this.newResults.push({ job: jobNo, rseq, result });
  }

  /** Deletes a job's results through `rseq` (the client has them). */
  forgetResults(jobNo: number, rseq: number): void {
    const current = this.receivedThrough.get(jobNo);
    if (current === undefined || rseq > current) this.receivedThrough.set(jobNo, rseq);
  }

  /** Deletes a job's tasks and results (its row stays). */
  purgeJob(jobNo: number): void {
    this.purges.push(jobNo);
    for (const task of this.unwrittenAttempts) if (task.jobNo === jobNo) this.unwrittenAttempts.delete(task);
    for (const task of this.attemptOnDisk) if (task.jobNo === jobNo) this.attemptOnDisk.delete(task);
  }

  /** Deletes a job's row (after its tasks and results were purged). */
  deleteJob(jobNo: number): void {
    this.deletedJobs.push(jobNo);
  }

  /**
   * Whether final results (or the deletion of their tasks) wait for `commit()`: something is sent only
   * once they are durable, so the scheduler commits them at once unless it holds them on purpose. The
   * other writes (new tasks, attempts, job rows, a finished job's deletion, deletions of results its
   * client confirmed) promise nothing to anyone and may wait to be joined with a later commit.
   */
  get hasResultWrites(): boolean {
    return this.doneTasks.length > 0 || this.newResults.length > 0;
  }

  /** Whether new tasks or task attempts wait for `commit()`. */
  get hasTaskWrites(): boolean {
    return this.newTasks.length > 0 || this.dirtyTasks.size > 0;
  }

  /** Whether anything waits for `commit()`. */
  get hasPendingWrites(): boolean {
    return (
      this.dirtyJobs.size > 0 ||
      this.newTasks.length > 0 ||
      this.dirtyTasks.size > 0 ||
      this.doneTasks.length > 0 ||
      this.newResults.length > 0 ||
      this.receivedThrough.size > 0 ||
      this.purges.length > 0 ||
      this.deletedJobs.length > 0
    );
  }

  /**
   * Writes everything gathered since the last commit in one transaction. On failure the
   * transaction is rolled back, the writes stay pending (a later commit retries them) and the
   * error is thrown. Returns the number of rows written.
   */
  commit(): number {
    if (this.closed) throw new Error('CoordinatorStore: commit after close');
    if (this.unwrittenAttempts.size > 0) this.flushAttempts(performance.now());
    if (!this.hasPendingWrites) return 0;
    const db = this.db;
    let rows = 0;
    let newTasks: TaskRow[] = [];
    let dirtyTasks: TaskRow[] = [];
    const newRuns: Array<SpilledRun & { job: number }> = [];
    db.exec('BEGIN');
    try {
      for (const job of this.dirtyJobs.values()) {
        const r = job.toRow();
        this.upsertJob.run(
          r.no, r.id, r.name, r.spec, r.state, r.endMessage, r.createdAtMs, r.tasksSubmitted, r.inputEnded ? 1 : 0,
          r.totalTasks, r.tasksCompleted, r.tasksFailed, r.lastRseq, r.receivedRseq, r.purged ? 1 : 0, r.owner,
        );
        rows += 1;
      }
      // Tasks deleted again before this commit (see deleteTask) left the set.
      newTasks = this.newTaskSet.size === this.newTasks.length ? this.newTasks : this.newTasks.filter((t) => this.newTaskSet.has(t));
      // Files first: a row that refers to one is committed only once it is written.
      for (const t of newTasks) {
        if (!this.spills(t.payload)) continue;
        this.files!.write(taskFile(t.jobNo, t.seq), t.payload);
        this.jobsWithFiles.add(t.jobNo);
      }
      rows += this.runChunked(newTasks, this.insertTasks, this.bindTask);
      dirtyTasks = [...this.dirtyTasks];
      rows += this.runChunked(dirtyTasks, this.updateTaskAttempts, bindAttempt);
      rows += this.deleteDone();
      rows += this.writeResultRuns(newRuns);
      for (const [job, rseq] of this.receivedThrough) this.deleteResultsThrough.run(job, rseq);
      for (const job of this.purges) {
        this.deleteJobTasks.run(job);
        this.deleteJobResults.run(job);
      }
      for (const job of this.deletedJobs) this.deleteJobRow.run(job);
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) {
        try {
          db.exec('ROLLBACK');
        } catch {
          // The rollback failing too leaves nothing more to do here; the error below says why.
        }
      }
      throw error;
    }
    if (this.files !== undefined) this.removeFilesAfterCommit(this.files, newRuns);
    for (const task of newTasks) if (task.attemptId !== '') this.attemptOnDisk.add(task);
    for (const task of dirtyTasks) {
      if (task.attemptId !== '') this.attemptOnDisk.add(task);
      else this.attemptOnDisk.delete(task);
    }
    this.dirtyJobs = new Map();
    this.newTasks = [];
    this.newTaskSet = new Set();
    this.dirtyTasks = new Set();
    this.doneTasks = [];
    this.newResults = [];
    this.receivedThrough = new Map();
    this.purges = [];
    this.deletedJobs = [];
    if (this.path !== ':memory:') this.uncheckpointed += 1;
    return rows;
  }

  /**
   * Once a commit is in: records its new result runs kept in files, and removes the files of the rows
   * it deleted (done tasks, runs the client has, purged jobs). Before it, a crash still needed them.
   */
  private removeFilesAfterCommit(files: PayloadFiles, newRuns: ReadonlyArray<SpilledRun & { job: number }>): void {
    for (const t of this.doneTasks) if (this.spills(t.payload)) files.remove(taskFile(t.jobNo, t.seq));
    for (const { job, first, last } of newRuns) {
      let list = this.spilledRuns.get(job);
      if (list === undefined) this.spilledRuns.set(job, (list = []));
      list.push({ first, last });
    }
    for (const [job, rseq] of this.receivedThrough) {
      const list = this.spilledRuns.get(job);
      if (list === undefined) continue;
      // As the DELETE did: runs wholly received; a run partly received stays.
      const kept = list.filter((run) => run.last > rseq);
      for (const run of list) if (run.last <= rseq) files.remove(runFile(job, run.first));
      if (kept.length > 0) this.spilledRuns.set(job, kept);
      else this.spilledRuns.delete(job);
    }
    if (this.purges.length > 0) {
      const withFiles = this.purges.filter((job) => this.jobsWithFiles.delete(job));
      for (const job of this.purges) {
        this.spilledRuns.delete(job);
        this.lostRuns.delete(job);
      }
      if (withFiles.length > 0) {
        const prefixes = withFiles.flatMap((job) => [`t.${job}.`, `r.${job}.`]);
        for (const name of files.list()) if (prefixes.some((p) => name.startsWith(p))) files.remove(name);
      }
    }
  }

  /** Commits since the last {@link checkpoint} that are only in the WAL (always 0 in memory). */
  get commitsSinceCheckpoint(): number {
    return this.uncheckpointed;
  }

  /**
   * Copies the WAL's commits into the database file (syncing both), so that the WAL starts over
   * small. Meant for idle moments: it costs milliseconds on a real disk, which a commit would
   * otherwise pay when the WAL reaches its cap. Committed data is durable either way.
   */
  checkpoint(): void {
    if (this.closed || this.uncheckpointed === 0) return;
    // The rows the checkpoint puts on disk refer to these files: they go first.
    this.files?.sync();
    this.checkpointWal.get();
    this.uncheckpointed = 0;
  }

  /** Writes the rows with the statements of `bySize`, as few as the sizes allow. Returns the number of rows. */
  private runChunked<T>(rows: readonly T[], bySize: Map<number, StatementSync>, bind: Binder<T>): number {
    const args: SQLInputValue[] = [];
    let i = 0;
    for (const k of STATEMENT_SIZES) {
      const statement = bySize.get(k)!;
      for (; i + k <= rows.length; i += k) {
        args.length = 0;
        for (let j = i; j < i + k; j++) bind(rows[j], args);
        statement.run(...args);
      }
    }
    return rows.length;
  }

  /** Writes the commit's results as one run per job (per stretch of one job's results, in the order they came). */
  private writeResultRuns(spilled: Array<SpilledRun & { job: number }>): number {
    const pending = this.newResults;
    for (let i = 0; i < pending.length;) {
      const job = pending[i].job;
      let end = i + 1;
      while (end < pending.length && pending[end].job === job) end++;
      const run = pending.slice(i, end);
      let first = run[0].rseq;
      let last = first;
      for (const r of run) {
        if (r.rseq < first) first = r.rseq;
        if (r.rseq > last) last = r.rseq;
      }
      let results = encodeResultRun(run);
      if (this.spills(results)) {
        this.files!.write(runFile(job, first), results);
        this.jobsWithFiles.add(job);
        spilled.push({ job, first, last });
        results = EMPTY;
      }
      this.insertResultRun.run(job, first, last, results);
      i = end;
    }
    return pending.length;
  }

  /**
   * Deletes the rows of tasks that got their final result, by job: each run of consecutive seqs (tasks
   * mostly finish in about the order they were queued) as one range, the rest many per statement. A
   * range costs one bound statement and one walk of the key order however long it is: with tiny tasks,
   * deleting by lists of up to 64 seqs took a tenth of `drover local`'s main thread (P1, perf), and by
   * ranges its CPU per task is ~5 % lower.
   */
  private deleteDone(): number {
    const byJob = new Map<number, number[]>();
    for (const t of this.doneTasks) {
      let seqs = byJob.get(t.jobNo);
      if (seqs === undefined) byJob.set(t.jobNo, (seqs = []));
      seqs.push(t.seq);
    }
    const args: SQLInputValue[] = [];
    for (const [job, seqs] of byJob) {
      seqs.sort((a, b) => a - b);
      // Every seq from a run's first to its last is done (sorted, each at most one past the one before).
      const singles: number[] = [];
      for (let i = 0; i < seqs.length; ) {
        let end = i + 1;
        while (end < seqs.length && seqs[end]! <= seqs[end - 1]! + 1) end++;
        if (seqs[end - 1]! > seqs[i]!) this.deleteTaskRange.run(job, seqs[i]!, seqs[end - 1]!);
        else singles.push(seqs[i]!);
        i = end;
      }
      let i = 0;
      for (const k of STATEMENT_SIZES) {
        const statement = this.deleteTaskRows.get(k)!;
        for (; i + k <= singles.length; i += k) {
          args.length = 0;
          args.push(job);
          for (let j = i; j < i + k; j++) args.push(singles[j]!);
          statement.run(...args);
        }
      }
    }
    return this.doneTasks.length;
  }

  // ------------------------------------------------------------ reads (start-up and attach)

  /** Every job row, oldest first (purged ones included: their info is all that is left). */
  loadJobs(): JobRow[] {
    const rows = this.db.prepare('SELECT * FROM jobs ORDER BY no').all() as Record<string, unknown>[];
    return rows.map((r) => ({
      no: r.no as number,
      id: r.id as string,
      name: r.name as string,
      owner: r.owner as string,
      spec: r.spec as Uint8Array,
      state: r.state as JobLifecycle,
      endMessage: r.end_message as string,
      createdAtMs: r.created_at_ms as number,
      tasksSubmitted: r.tasks_submitted as number,
      inputEnded: r.input_ended === 1,
      totalTasks: r.total_tasks as number,
      tasksCompleted: r.tasks_completed as number,
      tasksFailed: r.tasks_failed as number,
      lastRseq: r.last_rseq as number,
      receivedRseq: r.received_rseq as number,
      purged: r.purged === 1,
    }));
  }

  /** A job's tasks without a final result, in seq order. */
  *tasksOf(jobNo: number): Generator<StoredTask> {
    for (const r of this.selectTasks.iterate(jobNo) as Iterable<Record<string, unknown>>) {
      const name = taskFile(jobNo, r.seq as number);
      const payload = this.fromFile(r.payload as Uint8Array, name);
      yield {
        seq: r.seq as number,
        payload: payload ?? EMPTY,
        ...(payload === undefined ? { lostPayloadFile: join(this.files!.dir, name) } : {}),
        items: r.items as number,
        firstIndex: r.first_index as number,
        attempt: r.attempt as number,
        attemptId: r.attempt_id as string,
        agent: r.agent as string,
      };
    }
  }

  /** A job's durable results with rseq > `afterRseq`, in rseq order. */
  *resultsAfter(jobNo: number, afterRseq: number): Generator<StoredResult> {
    for (const r of this.selectResults.iterate(jobNo, afterRseq) as Iterable<{ first_rseq: number; results: Uint8Array }>) {
      // A run whose file an OS crash lost replays nothing; its job is failed at restore (lostResultFiles).
      const results = this.fromFile(r.results, runFile(jobNo, r.first_rseq)) ?? EMPTY;
      for (const result of decodeResultRun(results)) if (result.rseq > afterRseq) yield result;
    }
  }

  /** A row's blob, or for an empty one in a file database its file's bytes (undefined if the file is gone). */
  private fromFile(blob: Uint8Array, name: string): Uint8Array | undefined {
    return blob.length === 0 && this.files !== undefined ? this.files.read(name) : blob;
  }

  /** Counts rows (of `result_runs` for `'results'`), for tests and diagnostics. */
  countRows(table: 'jobs' | 'tasks' | 'results', jobNo?: number): number {
    const where = jobNo === undefined ? '' : table === 'jobs' ? ' WHERE no = ?' : ' WHERE job = ?';
    const statement = this.db.prepare(`SELECT count(*) AS n FROM ${table === 'results' ? 'result_runs' : table}${where}`);
    const row = (jobNo === undefined ? statement.get() : statement.get(jobNo)) as { n: number };
    return row.n;
  }

  /** Closes the database (pending writes that were not committed are dropped). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
