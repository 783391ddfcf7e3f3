// What the VictoriaMetrics writer must remember between writes (bun:sqlite in DATA_DIR): per user-day the
// generation of its points, the last second written, a digest of what its counters were drawn from and how the
// day ended; reset points ever written; whole-series families, rebuilds in progress, and writes not yet durable.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { LostWrite } from "./store";
import type { DayEnd } from "./vm-zones";

/** State rows written between turns of the event loop. */
const ROWS_PER_TURN = 10_000;

const DAY_S = 86400;
export const dayOf = (s: number) => Math.floor(s / DAY_S);

/** The zone counters' layout this file describes; an older one makes every user's series be rebuilt once. */
const ZONE_SCHEME = "2";

export interface HeldDay {
  generation: number;
  lastWritten: number;
  digest: string | null;
  /** The day's last instant when it was last drawn, or null. */
  endTs: number | null;
}

/** What one day's write will do: from which second, up to which, and whether it overwrites points already written. */
export interface DayPlan {
  day: number;
  rewrite: boolean;
  lastSecond: number;
}

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
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      -- rebuild = 1 while a user's zone series are being rebuilt whole (a crash resumes the rebuild)
      CREATE TABLE IF NOT EXISTS zone_series (user TEXT PRIMARY KEY, last_emitted INTEGER NOT NULL, rebuild INTEGER NOT NULL);
      -- digest: of the credits the day's counters were drawn from (NULL: must be drawn again); end_*: its DayEnd
      CREATE TABLE IF NOT EXISTS zone_day (user TEXT NOT NULL, day INTEGER NOT NULL, generation INTEGER NOT NULL,
        last_written INTEGER NOT NULL, digest TEXT, end_ts INTEGER, end_zone INTEGER, end_value REAL,
        PRIMARY KEY (user, day)) WITHOUT ROWID;
      -- every reset point ever written (kept: a later rewrite of its day must overwrite it)
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
    const scheme = this.db.query<{ value: string }, []>("SELECT value FROM meta WHERE key = 'zone_scheme'").get()?.value;
    if (scheme !== ZONE_SCHEME) {
      // series written as one cumulative counter from 1e9 (before per-day counters): rebuilt at their next delivery
      this.db.transaction(() => {
        this.db.exec("UPDATE zone_series SET rebuild = 1; DELETE FROM prepoint; DROP TABLE IF EXISTS day_generation;");
        this.db.query("INSERT OR REPLACE INTO meta (key, value) VALUES ('zone_scheme', ?)").run(ZONE_SCHEME);
      })();
    }
  }

  needsRebuild(user: string): boolean {
    return this.db.query<{ rebuild: number }, [string]>("SELECT rebuild FROM zone_series WHERE user = ?").get(user)?.rebuild === 1;
  }

  /** What was written of a day's zone series, or null. */
  day(user: string, day: number): HeldDay | null {
    const row = this.db
      .query<{ generation: number; last_written: number; digest: string | null; end_ts: number | null }, [string, number]>(
        "SELECT generation, last_written, digest, end_ts FROM zone_day WHERE user = ? AND day = ?",
      )
      .get(user, day);
    return row ? { generation: row.generation, lastWritten: row.last_written, digest: row.digest, endTs: row.end_ts } : null;
  }

  /** How the latest day before `day` that was written ended, or null. */
  endBefore(user: string, day: number): DayEnd | null {
    const row = this.db
      .query<{ end_ts: number | null; end_zone: number; end_value: number }, [string, number]>(
        "SELECT end_ts, end_zone, end_value FROM zone_day WHERE user = ? AND day < ? ORDER BY day DESC LIMIT 1",
      )
      .get(user, day);
    return row?.end_ts != null ? { ts: row.end_ts, zone: row.end_zone, value: row.end_value } : null;
  }

  /**
   * Before a write: a day it overwrites moves to a newer generation, and every day records the last second written
   * (a half-done write retried later is then an overwrite too). Returns false when a day would run out of generations.
   */
  plan(user: string, plans: readonly DayPlan[], resets: readonly number[], maxGeneration: number): boolean {
    return this.db.transaction(() => {
      for (const p of plans) {
        if (p.rewrite && (this.day(user, p.day)?.generation ?? 0) + 1 > maxGeneration) return false;
      }
      const upsert = this.db.query(
        `INSERT INTO zone_day (user, day, generation, last_written) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO UPDATE SET generation = generation + ?3, last_written = MAX(last_written, ?4)`,
      );
      for (const p of plans) upsert.run(user, p.day, p.rewrite ? 1 : 0, p.lastSecond);
      const insert = this.db.query("INSERT OR IGNORE INTO prepoint (user, ts) VALUES (?, ?)");
      for (const ts of resets) insert.run(user, ts);
      this.db.query("INSERT INTO zone_series (user, last_emitted, rebuild) VALUES (?, -1, 0) ON CONFLICT DO NOTHING").run(user);
      return true;
    })();
  }

  /**
   * After days were written: what each was drawn from and how it ended. Not synced to disk on its own (the next
   * plan's sync carries it): lost in a power cut, the days are only drawn and written again at a newer generation.
   */
  daysWritten(user: string, days: readonly { day: number; digest: string; end: DayEnd | null }[]) {
    const update = this.db.query("UPDATE zone_day SET digest = ?, end_ts = ?, end_zone = ?, end_value = ? WHERE user = ? AND day = ?");
    this.db.exec("PRAGMA synchronous = NORMAL");
    try {
      this.db.transaction(() => {
        for (const { day, digest, end } of days) update.run(digest, end?.ts ?? null, end?.zone ?? 0, end?.value ?? 0, user, day);
      })();
    } finally {
      this.db.exec("PRAGMA synchronous = FULL");
    }
  }

  /** Reset points ever written in [from, to]. */
  resets(user: string, from: number, to: number): number[] {
    return this.db
      .query<{ ts: number }, [string, number, number]>("SELECT ts FROM prepoint WHERE user = ? AND ts BETWEEN ? AND ? ORDER BY ts")
      .all(user, from, to)
      .map((row) => row.ts);
  }

  /** Generation to stamp each second (ascending) with, its day's: one number when all those days have the same. */
  generations(user: string, seconds: readonly number[]): number | number[] {
    if (!seconds.length) return 0;
    const [first, last] = [dayOf(seconds[0]!), dayOf(seconds.at(-1)!)];
    const rows = this.db
      .query<{ day: number; generation: number }, [string, number, number]>("SELECT day, generation FROM zone_day WHERE user = ? AND day BETWEEN ? AND ?")
      .all(user, first, last);
    const byDay = new Map(rows.map((r) => [r.day, r.generation]));
    // a day without a row is at generation 0
    const held = new Set(rows.map((r) => r.generation));
    if (rows.length < last - first + 1) held.add(0);
    if (held.size === 1) return [...held][0]!;
    return seconds.map((s) => byDay.get(dayOf(s)) ?? 0);
  }

  /** Starts a rebuild: VM's series are about to be deleted, so every generation starts again at 0. */
  startRebuild(user: string) {
    this.db.transaction(() => {
      this.db.query("INSERT OR REPLACE INTO zone_series (user, last_emitted, rebuild) VALUES (?, -1, 1)").run(user);
      this.db.query("DELETE FROM zone_day WHERE user = ?").run(user);
      this.db.query("DELETE FROM prepoint WHERE user = ?").run(user);
    })();
  }

  finishRebuild(user: string) {
    this.db.query("UPDATE zone_series SET rebuild = 0 WHERE user = ?").run(user);
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
  /** Records the family's instants and generation (one transaction, a turn of the event loop every few thousand rows). */
  async saveFamily(user: string, family: string, generation: number, labels: string[], instants: readonly number[]) {
    const add = this.db.query("INSERT OR IGNORE INTO family_instant (user, family, ts) VALUES (?, ?, ?)");
    await this.inTurns(instants, (ts) => add.run(user, family, ts), () =>
      this.db
        .query("INSERT OR REPLACE INTO family (user, family, generation, labels, content_hash) VALUES (?, ?, ?, ?, '')")
        .run(user, family, generation, JSON.stringify(labels)),
    );
  }

  /** Whether a per-item gauge point the family wrote before is not among `points` (VM would keep it). */
  losesPoints(user: string, family: string, points: ReadonlySet<string>): boolean {
    const held = this.db.query<{ key: string }, [string, string]>("SELECT key FROM family_point WHERE user = ? AND family = ?").iterate(user, family);
    for (const { key } of held) if (!points.has(key)) return true;
    return false;
  }

  /** Records the family's per-item gauge points; `replace` after its gauge series were deleted (one transaction). */
  async savePoints(user: string, family: string, points: ReadonlySet<string>, replace: boolean) {
    const add = this.db.query("INSERT OR IGNORE INTO family_point (user, family, key) VALUES (?, ?, ?)");
    if (replace) this.db.exec("BEGIN IMMEDIATE");
    try {
      if (replace) this.db.query("DELETE FROM family_point WHERE user = ? AND family = ?").run(user, family);
      await this.inTurns(points, (key) => add.run(user, family, key));
      if (replace) this.db.exec("COMMIT");
    } catch (err) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw err;
    }
  }

  /**
   * Runs `each` over `items` then `last`, in one transaction (a savepoint inside an open one), giving the event
   * loop a turn every ROWS_PER_TURN rows: 100 k workouts are 200 k point keys, ~0.5 s in one go.
   */
  private async inTurns<T>(items: Iterable<T>, each: (item: T) => void, last?: () => void) {
    const outer = !this.db.inTransaction;
    this.db.exec(outer ? "BEGIN IMMEDIATE" : "SAVEPOINT in_turns");
    try {
      let n = 0;
      for (const item of items) {
        each(item);
        if (++n % ROWS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      last?.();
      this.db.exec(outer ? "COMMIT" : "RELEASE in_turns");
    } catch (err) {
      if (outer && this.db.inTransaction) this.db.exec("ROLLBACK");
      else if (!outer) this.db.exec("ROLLBACK TO in_turns; RELEASE in_turns");
      throw err;
    }
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
    for (const table of ["zone_series", "zone_day", "prepoint", "family", "family_instant", "family_point", "recent_write"]) {
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
          // and days whose zone write was lost must be drawn again even though their credits did not change
          if (row.zones_since !== null) this.db.query("UPDATE zone_day SET digest = NULL WHERE user = ? AND day >= ?").run(row.user, dayOf(row.zones_since));
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
