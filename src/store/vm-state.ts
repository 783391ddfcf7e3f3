// What the VictoriaMetrics writer must remember between writes (bun:sqlite in DATA_DIR): the generation of
// each day's points, pre-points, whole-series families, rebuilds in progress, and writes not yet durable.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { LostWrite } from "./store";

const DAY_S = 86400;
export const dayOf = (s: number) => Math.floor(s / DAY_S);

export interface FamilyState {
  generation: number;
  labels: string[];
  instants: number[];
  contentHash: string;
}

export class VmWriterState {
  private readonly db: Database;

  constructor(stateDir: string | ":memory:") {
    this.db = new Database(stateDir === ":memory:" ? ":memory:" : join(stateDir, "vm-writer.sqlite"), { create: true, strict: true });
    // FULL: a generation is recorded before the write that uses it, and must never be forgotten
    // busy_timeout: `import` and `serve` may open this file at once (their writes are serialised by delivery.lock)
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
    this.db.exec(`
      -- rebuild = 1 while a user's zone series are being rebuilt whole (a crash resumes the rebuild)
      CREATE TABLE IF NOT EXISTS zone_series (user TEXT PRIMARY KEY, last_emitted INTEGER NOT NULL, rebuild INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS day_generation (user TEXT NOT NULL, day INTEGER NOT NULL, generation INTEGER NOT NULL,
        PRIMARY KEY (user, day)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS prepoint (user TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (user, ts)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS family (user TEXT NOT NULL, family TEXT NOT NULL, generation INTEGER NOT NULL, labels TEXT NOT NULL,
        content_hash TEXT NOT NULL, PRIMARY KEY (user, family)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS family_instant (user TEXT NOT NULL, family TEXT NOT NULL, ts INTEGER NOT NULL,
        PRIMARY KEY (user, family, ts)) WITHOUT ROWID;
      -- per-item gauge points a family wrote (series label + instant): one that disappears makes its series be deleted
      CREATE TABLE IF NOT EXISTS family_point (user TEXT NOT NULL, family TEXT NOT NULL, key TEXT NOT NULL,
        PRIMARY KEY (user, family, key)) WITHOUT ROWID;
      -- writes VM acknowledged but may hold only in memory: kept until VM is seen running since long enough after them
      CREATE TABLE IF NOT EXISTS recent_write (user TEXT NOT NULL, zones_since INTEGER, records INTEGER NOT NULL, written_at REAL NOT NULL);
    `);
  }

  needsRebuild(user: string): boolean {
    return this.db.query<{ rebuild: number }, [string]>("SELECT rebuild FROM zone_series WHERE user = ?").get(user)?.rebuild === 1;
  }

  /**
   * Before writing the zone series from `since` up to `lastInstant`: a rewrite of instants already written
   * moves every day it touches to a newer generation. Recorded before the write (a half-done write retried
   * later still gets a newer one). Returns false when a day would run out of generations.
   */
  planZones(user: string, since: number, lastInstant: number, maxGeneration: number): boolean {
    return this.db.transaction(() => {
      const lastEmitted = this.db.query<{ last_emitted: number }, [string]>("SELECT last_emitted FROM zone_series WHERE user = ?").get(user)?.last_emitted ?? -1;
      if (since <= lastEmitted) {
        const from = dayOf(since - 1);
        const to = dayOf(lastEmitted);
        const highest = this.db
          .query<{ g: number | null }, [string, number, number]>("SELECT MAX(generation) AS g FROM day_generation WHERE user = ? AND day BETWEEN ? AND ?")
          .get(user, from, to)!.g ?? 0;
        if (highest + 1 > maxGeneration) return false;
        const bump = this.db.query(
          "INSERT INTO day_generation (user, day, generation) VALUES (?, ?, 1) ON CONFLICT DO UPDATE SET generation = generation + 1",
        );
        for (let day = from; day <= to; day++) bump.run(user, day);
      }
      this.db
        .query("INSERT INTO zone_series (user, last_emitted, rebuild) VALUES (?, ?, 0) ON CONFLICT DO UPDATE SET last_emitted = MAX(last_emitted, excluded.last_emitted)")
        .run(user, lastInstant);
      return true;
    })();
  }

  /** Generation to stamp each instant with (its day's). */
  generations(user: string, instants: readonly number[]): number[] {
    if (!instants.length) return [];
    const rows = this.db
      .query<{ day: number; generation: number }, [string, number, number]>("SELECT day, generation FROM day_generation WHERE user = ? AND day BETWEEN ? AND ?")
      .all(user, dayOf(instants[0]!), dayOf(instants.at(-1)!));
    const byDay = new Map(rows.map((r) => [r.day, r.generation]));
    return instants.map((s) => byDay.get(dayOf(s)) ?? 0);
  }

  /** Starts a rebuild: VM's series are about to be deleted, so every generation starts again at 0. */
  startRebuild(user: string) {
    this.db.transaction(() => {
      this.db.query("INSERT OR REPLACE INTO zone_series (user, last_emitted, rebuild) VALUES (?, -1, 1)").run(user);
      this.db.query("DELETE FROM day_generation WHERE user = ?").run(user);
      this.db.query("DELETE FROM prepoint WHERE user = ?").run(user);
    })();
  }

  finishRebuild(user: string) {
    this.db.query("UPDATE zone_series SET rebuild = 0 WHERE user = ?").run(user);
  }

  /** Records pre-points (kept forever: a later rewrite must overwrite each one) and returns those from `from` on. */
  prepoints(user: string, add: readonly number[], from: number): number[] {
    const insert = this.db.query("INSERT OR IGNORE INTO prepoint (user, ts) VALUES (?, ?)");
    this.db.transaction(() => {
      for (const ts of add) insert.run(user, ts);
    })();
    return this.db
      .query<{ ts: number }, [string, number]>("SELECT ts FROM prepoint WHERE user = ? AND ts >= ? ORDER BY ts")
      .all(user, from)
      .map((row) => row.ts);
  }

  family(user: string, family: string): FamilyState | null {
    const row = this.db
      .query<{ generation: number; labels: string; content_hash: string }, [string, string]>(
        "SELECT generation, labels, content_hash FROM family WHERE user = ? AND family = ?",
      )
      .get(user, family);
    if (!row) return null;
    const instants = this.db
      .query<{ ts: number }, [string, string]>("SELECT ts FROM family_instant WHERE user = ? AND family = ? ORDER BY ts")
      .all(user, family)
      .map((r) => r.ts);
    return { generation: row.generation, labels: JSON.parse(row.labels), instants, contentHash: row.content_hash };
  }

  /** Recorded before the write; `contentHash` is "" until the write succeeded (see familyWritten). */
  saveFamily(user: string, family: string, generation: number, labels: string[], instants: readonly number[]) {
    const add = this.db.query("INSERT OR IGNORE INTO family_instant (user, family, ts) VALUES (?, ?, ?)");
    this.db.transaction(() => {
      for (const ts of instants) add.run(user, family, ts);
      this.db
        .query("INSERT OR REPLACE INTO family (user, family, generation, labels, content_hash) VALUES (?, ?, ?, ?, '')")
        .run(user, family, generation, JSON.stringify(labels));
    })();
  }

  /** Whether a per-item gauge point the family wrote before is not among `points` (VM would keep it). */
  losesPoints(user: string, family: string, points: ReadonlySet<string>): boolean {
    const held = this.db.query<{ key: string }, [string, string]>("SELECT key FROM family_point WHERE user = ? AND family = ?").iterate(user, family);
    for (const { key } of held) if (!points.has(key)) return true;
    return false;
  }

  /** Records the family's per-item gauge points; `replace` after its gauge series were deleted. */
  savePoints(user: string, family: string, points: ReadonlySet<string>, replace: boolean) {
    const add = this.db.query("INSERT OR IGNORE INTO family_point (user, family, key) VALUES (?, ?, ?)");
    this.db.transaction(() => {
      if (replace) this.db.query("DELETE FROM family_point WHERE user = ? AND family = ?").run(user, family);
      for (const key of points) add.run(user, family, key);
    })();
  }

  familyWritten(user: string, family: string, contentHash: string) {
    this.db.query("UPDATE family SET content_hash = ? WHERE user = ? AND family = ?").run(contentHash, user, family);
  }

  forgetFamily(user: string, family: string) {
    this.db.query("DELETE FROM family WHERE user = ? AND family = ?").run(user, family);
    this.db.query("DELETE FROM family_instant WHERE user = ? AND family = ?").run(user, family);
    this.db.query("DELETE FROM family_point WHERE user = ? AND family = ?").run(user, family);
  }

  forgetUser(user: string) {
    for (const table of ["zone_series", "day_generation", "prepoint", "family", "family_instant", "family_point", "recent_write"]) {
      this.db.query(`DELETE FROM ${table} WHERE user = ?`).run(user);
    }
  }

  rememberWrite(user: string, zonesSince: number | null, records: boolean, now: number) {
    this.db.query("INSERT INTO recent_write (user, zones_since, records, written_at) VALUES (?, ?, ?, ?)").run(user, zonesSince, records ? 1 : 0, now);
  }

  /**
   * Given VM's current start time: a write made before this process started may be lost (however long VM
   * was down); a write this process has held for `windowS` is on disk and forgotten.
   */
  lostWrites(vmStarted: number, now: number, windowS: number): LostWrite[] {
    const rows = this.db
      .query<{ rowid: number; user: string; zones_since: number | null; records: number; written_at: number }, []>(
        "SELECT rowid, user, zones_since, records, written_at FROM recent_write",
      )
      .all();
    const lost = new Map<string, LostWrite>();
    const forget = this.db.query("DELETE FROM recent_write WHERE rowid = ?");
    this.db.transaction(() => {
      for (const row of rows) {
        // VM states its start in whole seconds: a write in that second counts as before it (a repeat is harmless)
        if (row.written_at < vmStarted + 1) {
          const entry = lost.get(row.user) ?? { user: row.user, zonesSince: null, records: false };
          if (row.zones_since !== null) entry.zonesSince = Math.min(entry.zonesSince ?? Infinity, row.zones_since);
          entry.records ||= row.records === 1;
          // a family whose write was lost must be written again even though its content did not change
          if (row.records === 1) this.db.query("UPDATE family SET content_hash = '' WHERE user = ?").run(row.user);
          lost.set(row.user, entry);
          forget.run(row.rowid);
        } else if (now - row.written_at > windowS) {
          forget.run(row.rowid);
        }
      }
    })();
    return [...lost.values()];
  }

  close() {
    this.db.close();
  }
}
