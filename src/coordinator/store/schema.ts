/**
 * The coordinator's SQLite schema (version in `PRAGMA user_version`).
 *
 * Jobs are keyed by a small integer (`no`) so that the per-task tables do not repeat the job's
 * text id in every row and index entry. A task row lives from the input that created it until its
 * final result; a result row lives until the client has received it (`results_received`) or the
 * job's rows are purged. A purged job keeps only its `jobs` row, for `Jobs.Get`/`List`.
 *
 * `tasks` and `result_runs` are `WITHOUT ROWID` tables (schema 3): their rows live in the primary-key
 * b-tree itself, so a commit that inserts or deletes one touches one b-tree instead of a rowid
 * table plus its key index — about half the WAL pages per small commit.
 *
 * Results are stored as *runs* (schema 4): a commit writes one row per job holding that commit's
 * results of the job, and a run is deleted once the client has every result in it. A row per result
 * (schema 3) cost two row operations per task of a tiny-task job (its insert, then its delete), a
 * sixth of the coordinator's CPU per task; a run costs two per commit.
 *
 * A task input or result run larger than `SPILL_BYTES` (256 KiB) is kept in a file of its own beside
 * the database (schema 5; `PayloadFiles`), and its row holds an empty blob.
 */
export const SCHEMA_VERSION = 5;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS jobs (
  no              INTEGER PRIMARY KEY,
  id              TEXT NOT NULL UNIQUE,
  name            TEXT NOT NULL,
  spec            BLOB NOT NULL,              -- drover.v1.OpenJob as opened (protobuf)
  state           TEXT NOT NULL,              -- open | completed | cancelled | failed
  end_message     TEXT NOT NULL DEFAULT '',
  created_at_ms   INTEGER NOT NULL,
  tasks_submitted INTEGER NOT NULL DEFAULT 0,
  input_ended     INTEGER NOT NULL DEFAULT 0,
  total_tasks     INTEGER NOT NULL DEFAULT 0,
  tasks_completed INTEGER NOT NULL DEFAULT 0,
  tasks_failed    INTEGER NOT NULL DEFAULT 0,
  last_rseq       INTEGER NOT NULL DEFAULT 0, -- rseq of the job's last durable result
  received_rseq   INTEGER NOT NULL DEFAULT 0, -- the client confirmed every result through this rseq
  purged          INTEGER NOT NULL DEFAULT 0, -- tasks and results deleted: only this row is left
  owner           TEXT NOT NULL DEFAULT ''    -- principal that opened the job (schema 2)
);
CREATE TABLE IF NOT EXISTS tasks (
  job         INTEGER NOT NULL,
  seq         INTEGER NOT NULL,
  payload     BLOB NOT NULL,
  items       INTEGER NOT NULL,
  first_index INTEGER NOT NULL,
  attempt     INTEGER NOT NULL DEFAULT 0,   -- number of the current (or last) attempt, 0 = never assigned
  attempt_id  TEXT NOT NULL DEFAULT '',     -- current attempt, '' while queued
  agent       TEXT NOT NULL DEFAULT '',     -- agent name running the current attempt
  PRIMARY KEY (job, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS result_runs (
  job        INTEGER NOT NULL,
  first_rseq INTEGER NOT NULL,              -- lowest rseq in the run
  last_rseq  INTEGER NOT NULL,              -- highest rseq in the run
  results    BLOB NOT NULL,                 -- per result, in rseq order: varint rseq, varint length, drover.v1.TaskResult (protobuf)
  PRIMARY KEY (job, first_rseq)
) WITHOUT ROWID;
`;
