import type { DatabaseSync } from 'node:sqlite';

/**
 * Brings a database written by an older drover (schema `from`) up to the current schema, inside the
 * caller's transaction, after `CREATE TABLE IF NOT EXISTS` (which leaves existing tables as they are).
 * 1 → 2: `jobs.owner`; jobs opened before owners were stored get `''`, which only admins see.
 */
export function migrateSchema(db: DatabaseSync, from: number): void {
  if (from === 0) return; // a new database: the tables were just created whole
  if (from < 2) {
    const columns = db.prepare('PRAGMA table_info(jobs)').all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'owner')) db.exec("ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT ''");
  }
}
