// The SQLite files a post writes (the ledger, the embedded store): WAL, commits that do not wait for the disk (the
// raw log is a post's one fsync; deliverPending's numbers find what a power cut took from the store), and the WAL
// copied into the database file when the server is idle (Pipeline), not by whichever commit fills it.
import type { Database } from "bun:sqlite";

/** A WAL this big (32 MiB of 4 KiB pages) is checkpointed by the commit that reaches it, idle or not. */
const WAL_CAP_PAGES = 8192;

export function useWal(db: Database) {
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;
    PRAGMA wal_autocheckpoint = ${WAL_CAP_PAGES}; PRAGMA journal_size_limit = ${WAL_CAP_PAGES * 4096};`);
}

/** Copies the WAL into the database file, never waiting for another process's readers (PASSIVE). */
export function checkpoint(db: Database) {
  db.exec("PRAGMA wal_checkpoint(PASSIVE)");
}
