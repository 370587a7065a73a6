import type { DatabaseSync } from 'node:sqlite';

/**
 * Brings a database written by an older drover (schema `from`) up to the current schema, inside the
 * caller's transaction, after `CREATE TABLE IF NOT EXISTS` (which leaves existing tables as they are).
 * 1 → 2: `jobs.owner`; jobs opened before owners were stored get `''`, which only admins see.
 * 2 → 3: `tasks` and `results` rebuilt as `WITHOUT ROWID` tables (same columns, rows copied).
 */
export function migrateSchema(db: DatabaseSync, from: number): void {
  if (from === 0) return; // a new database: the tables were just created whole
  if (from < 2) {
    const columns = db.prepare('PRAGMA table_info(jobs)').all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'owner')) db.exec("ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT ''");
  }
  if (from < 3) {
    for (const table of ['tasks', 'results']) rebuildWithoutRowid(db, table);
  }
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
