import type { DatabaseSync } from 'node:sqlite';
import { encodeResultRun } from './encodeResultRun.ts';

/**
 * Brings a database written by an older drover (schema `from`) up to the current schema, inside the
 * caller's transaction, after `CREATE TABLE IF NOT EXISTS` (which leaves existing tables as they are).
 * 1 → 2: `jobs.owner`; jobs opened before owners were stored get `''`, which only admins see.
 * 2 → 3: `tasks` and `results` rebuilt as `WITHOUT ROWID` tables (same columns, rows copied).
 * 3 → 4: `results` (a row per result) becomes `result_runs`: each old row a run of one result.
 * 4 → 5: large inputs and result runs may live in files beside the database (an empty blob in their
 * row); rows written before keep their blobs, so nothing is converted. The version tells an older
 * drover, which would take the empty blobs for values, to refuse the database.
 */
export function migrateSchema(db: DatabaseSync, from: number): void {
  if (from === 0) return; // a new database: the tables were just created whole
  if (from < 2) {
    const columns = db.prepare('PRAGMA table_info(jobs)').all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'owner')) db.exec("ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT ''");
  }
  if (from < 3) rebuildWithoutRowid(db, 'tasks');
  if (from < 4) resultsIntoRuns(db);
}

/** Moves every row of the schema-3 `results` table into `result_runs` (a run of one each), then drops it. */
function resultsIntoRuns(db: DatabaseSync): void {
  const exists = db.prepare("SELECT 1 AS x FROM sqlite_schema WHERE type = 'table' AND name = 'results'").get();
  if (exists === undefined) return;
  const insert = db.prepare('INSERT OR REPLACE INTO result_runs (job, first_rseq, last_rseq, results) VALUES (?, ?, ?, ?)');
  for (const row of db.prepare('SELECT job, rseq, result FROM results').iterate() as Iterable<{ job: number; rseq: number; result: Uint8Array }>) {
    insert.run(row.job, row.rseq, row.rseq, encodeResultRun([{ rseq: row.rseq, result: row.result }]));
  }
  db.exec('DROP TABLE results');
}

/** Recreates `table` as a `WITHOUT ROWID` table with the same definition and rows, unless it is one already. */
function rebuildWithoutRowid(db: DatabaseSync, table: string): void {
  const row = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table) as { sql: string } | undefined;
  if (row === undefined || /WITHOUT\s+ROWID\s*$/i.test(row.sql)) return;
  const old = `${table}_rowid`;
  db.exec(`ALTER TABLE ${table} RENAME TO ${old}`);
  db.exec(`${row.sql.replace(/^CREATE TABLE(\s+IF NOT EXISTS)?\s+"?\w+"?/i, `CREATE TABLE ${table}`)} WITHOUT ROWID`);
  db.exec(`INSERT INTO ${table} SELECT * FROM ${old}`);
  db.exec(`DROP TABLE ${old}`);
}
