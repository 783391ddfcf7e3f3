// Every distinct sample ever received and what the merged timeline credits each: the state that makes
// zone seconds independent of batching, repetition and arrival order. Local bun:sqlite, whatever the store.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { GaugeSample, HeartRateSample, SleepNight, Workout } from "../normalize/model";
import { RecordLedger } from "./records";
import { creditTimeline, emptyZoneSeconds, ZONES, type Credit, type ZoneSeconds } from "../transform/zones";
import type { RawPosition } from "../raw/rawlog";

export interface IngestResult {
  /** New samples plus revised values for an instant already held. */
  accepted: number;
  duplicates: number;
  /** Change of zone seconds this batch caused on the merged timeline (a revision can lower a zone). */
  zoneSecondsAdded: ZoneSeconds;
  /** Earliest instant whose credit changed, or null when nothing did. */
  changedFrom: number | null;
}

/** Everything a store needs to rewrite a user's zone series from `since` on. */
export interface ZoneRewrite {
  user: string;
  since: number;
  /** Timeline instant just before `since`, or null. */
  previousTs: number | null;
  /** Zone seconds credited before `since`. */
  base: ZoneSeconds;
  /** Every credit at or after `since`, sorted by ts. */
  credits: Credit[];
}

export interface Backlog {
  users: number;
  oldestPending: number | null;
}

/** Non-heart-rate parts of a payload, merged in the same transaction as its samples. */
export interface RecordsInput {
  gauges: readonly GaugeSample[];
  sleep: readonly SleepNight[];
  workouts: readonly Workout[];
}

export class Ledger {
  readonly db: Database;
  readonly records: RecordLedger;

  constructor(dataDir: string | ":memory:") {
    this.db = new Database(dataDir === ":memory:" ? ":memory:" : join(dataDir, "ledger.sqlite"), { create: true, strict: true });
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    this.db.exec(`
      -- a sample's identity is the seed's key without the value: type|instant|source|device (per user)
      CREATE TABLE IF NOT EXISTS hr_sample (
        user TEXT NOT NULL, ts INTEGER NOT NULL, source TEXT NOT NULL, device TEXT NOT NULL, bpm REAL NOT NULL,
        PRIMARY KEY (user, ts, source, device)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS credit (
        user TEXT NOT NULL, ts INTEGER NOT NULL, bpm REAL NOT NULL, zone INTEGER NOT NULL, seconds REAL NOT NULL,
        PRIMARY KEY (user, ts)) WITHOUT ROWID;
      -- running zone totals per user, kept equal to SUM(credit.seconds) so a delivery never re-sums history
      CREATE TABLE IF NOT EXISTS zone_total (user TEXT NOT NULL, zone INTEGER NOT NULL, seconds REAL NOT NULL, PRIMARY KEY (user, zone)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS pending (user TEXT PRIMARY KEY, since INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS raw_cursor (file TEXT PRIMARY KEY, offset INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.records = new RecordLedger(this.db);
    // a ledger written before running totals existed gets them once
    this.db.exec(`INSERT INTO zone_total (user, zone, seconds)
      SELECT user, zone, SUM(seconds) FROM credit WHERE NOT EXISTS (SELECT 1 FROM zone_total) GROUP BY user, zone`);
  }

  /**
   * Merges samples into the user's timeline and re-credits the stretch they touch, in one transaction
   * that also moves the raw-log cursor, so a crash either keeps both or neither.
   */
  ingest(
    user: string,
    samples: readonly HeartRateSample[],
    boundsBpm: number[],
    position?: RawPosition,
    records?: RecordsInput,
  ): IngestResult & { recordsChanged: number; recordsDropped: number } {
    return this.db.transaction(() => {
      const result = this.mergeSamples(user, samples, boundsBpm);
      if (result.changedFrom !== null) this.markPending(user, result.changedFrom);
      const merged = records ? this.records.merge(user, records.gauges, records.sleep, records.workouts) : { changed: 0, dropped: 0 };
      if (position) this.setCursor(position);
      return { ...result, recordsChanged: merged.changed, recordsDropped: merged.dropped };
      // IMMEDIATE: another process (`import`) may write the ledger; a deferred transaction that read first
      // fails at once with SQLITE_BUSY when it upgrades to a write, where this one waits out busy_timeout
    }).immediate();
  }

  private mergeSamples(user: string, samples: readonly HeartRateSample[], boundsBpm: number[]): IngestResult {
    const find = this.db.query<{ bpm: number }, [string, number, string, string]>(
      "SELECT bpm FROM hr_sample WHERE user = ? AND ts = ? AND source = ? AND device = ?",
    );
    const upsert = this.db.query(
      "INSERT INTO hr_sample (user, ts, source, device, bpm) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET bpm = excluded.bpm",
    );
    let accepted = 0;
    let duplicates = 0;
    let from = Infinity;
    let to = -Infinity;
    for (const s of samples) {
      const held = find.get(user, s.ts, s.source, s.device);
      if (held && held.bpm === s.bpm) {
        duplicates++;
        continue;
      }
      upsert.run(user, s.ts, s.source, s.device, s.bpm);
      accepted++;
      if (s.ts < from) from = s.ts;
      if (s.ts > to) to = s.ts;
    }
    if (!accepted) return { accepted, duplicates, zoneSecondsAdded: emptyZoneSeconds(), changedFrom: null };
    return { accepted, duplicates, ...this.recredit(user, from, to, boundsBpm) };
  }

  /** Re-credits timeline instants from..to plus the one after `to`, whose gap to its predecessor may have changed. */
  private recredit(user: string, from: number, to: number, boundsBpm: number[]) {
    const previousTs = this.db
      .query<{ ts: number | null }, [string, number]>("SELECT MAX(ts) AS ts FROM hr_sample WHERE user = ? AND ts < ?")
      .get(user, from)!.ts;
    const nextTs = this.db
      .query<{ ts: number | null }, [string, number]>("SELECT MIN(ts) AS ts FROM hr_sample WHERE user = ? AND ts > ?")
      .get(user, to)!.ts;
    const end = nextTs ?? to;
    const before = this.zoneTotals(user, "ts >= ? AND ts <= ?", from, end);
    this.db.query("DELETE FROM credit WHERE user = ? AND ts >= ? AND ts <= ?").run(user, from, end);
    const insert = this.db.query("INSERT INTO credit (user, ts, bpm, zone, seconds) VALUES (?, ?, ?, ?, ?)");
    const after = emptyZoneSeconds();
    // streamed row by row: a year-long backfill never sits in memory as one array
    // of several samples at one instant the timeline keeps the least (source, device): see preferSample
    const rows = this.db
      .query<{ ts: number; bpm: number }, [string, number, number]>(
        "SELECT ts, bpm FROM hr_sample WHERE user = ? AND ts BETWEEN ? AND ? ORDER BY ts, source, device",
      )
      .iterate(user, from, end);
    let previous = previousTs;
    for (const row of rows) {
      if (row.ts === previous) continue;
      const [credit] = creditTimeline([row], previous, boundsBpm);
      insert.run(user, credit!.ts, credit!.bpm, credit!.zone, credit!.seconds);
      after[ZONES[credit!.zone]!] += credit!.seconds;
      previous = row.ts;
    }
    const zoneSecondsAdded = emptyZoneSeconds();
    const addTotal = this.db.query(
      "INSERT INTO zone_total (user, zone, seconds) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET seconds = seconds + excluded.seconds",
    );
    ZONES.forEach((z, zone) => {
      zoneSecondsAdded[z] = after[z] - before[z];
      if (zoneSecondsAdded[z] !== 0) addTotal.run(user, zone, zoneSecondsAdded[z]);
    });
    return { zoneSecondsAdded, changedFrom: from };
  }

  private zoneTotals(user: string, where: string, ...args: number[]): ZoneSeconds {
    const totals = emptyZoneSeconds();
    const rows = this.db
      .query<{ zone: number; seconds: number }, (string | number)[]>(
        `SELECT zone, SUM(seconds) AS seconds FROM credit WHERE user = ? AND ${where} GROUP BY zone`,
      )
      .all(user, ...args);
    for (const row of rows) totals[ZONES[row.zone]!] = row.seconds;
    return totals;
  }

  markPending(user: string, since: number) {
    this.db
      .query("INSERT INTO pending (user, since) VALUES (?, ?) ON CONFLICT DO UPDATE SET since = MIN(since, excluded.since)")
      .run(user, since);
  }

  /** Every user the ledger holds anything for. */
  users(): string[] {
    return this.db
      .query<{ user: string }, []>("SELECT user FROM credit UNION SELECT user FROM gauge_point UNION SELECT user FROM night UNION SELECT user FROM workout")
      .all()
      .map((row) => row.user);
  }

  /** Users whose store copy is behind the ledger, with the instant their rewrite must start at. */
  pending(): { user: string; since: number }[] {
    return this.db.query<{ user: string; since: number }, []>("SELECT user, since FROM pending ORDER BY user").all();
  }

  backlog(): Backlog {
    const row = this.db.query<{ oldest: number | null }, []>("SELECT MIN(since) AS oldest FROM pending").get()!;
    const users = new Set([...this.pending().map((p) => p.user), ...this.records.pendingUsers()]);
    return { users: users.size, oldestPending: row.oldest };
  }

  /** Clears a user's backlog once delivered, unless newer data moved it meanwhile. */
  delivered(user: string, since: number) {
    this.db.query("DELETE FROM pending WHERE user = ? AND since >= ?").run(user, since);
  }

  /** Marks every user's whole history for delivery (after a replay, or switching stores). */
  markAllPending() {
    this.db.exec("INSERT OR REPLACE INTO pending (user, since) SELECT user, MIN(ts) FROM credit GROUP BY user");
    this.records.markAllPending();
  }

  /** The whole rewrite from `since` in one piece (tests, and a store rebuilding a series from scratch). */
  zoneRewrite(user: string, since: number): ZoneRewrite {
    const [whole] = this.zoneRewrites(user, since, Infinity);
    return whole!;
  }

  /**
   * The rewrite from `since` in consecutive slices of at most `sliceSize` credits, each with the totals and
   * the instant before it, so a year-long rewrite never sits in memory at once. Yields at least one slice.
   */
  *zoneRewrites(user: string, since: number, sliceSize: number): Generator<ZoneRewrite> {
    let previousTs = this.db
      .query<{ ts: number | null }, [string, number]>("SELECT MAX(ts) AS ts FROM credit WHERE user = ? AND ts < ?")
      .get(user, since)!.ts;
    // what came before `since` = the running total minus the tail, summed in SQL
    const base = emptyZoneSeconds();
    for (const row of this.db.query<{ zone: number; seconds: number }, [string]>("SELECT zone, seconds FROM zone_total WHERE user = ?").all(user)) {
      base[ZONES[row.zone]!] = row.seconds;
    }
    const tail = this.db.query<{ zone: number; seconds: number }, [string, number]>(
      "SELECT zone, SUM(seconds) AS seconds FROM credit WHERE user = ? AND ts >= ? GROUP BY zone",
    );
    for (const row of tail.all(user, since)) base[ZONES[row.zone]!] -= row.seconds;
    const slice = this.db.query<Credit, [string, number, number]>(
      "SELECT ts, bpm, zone, seconds FROM credit WHERE user = ? AND ts >= ? ORDER BY ts LIMIT ?",
    );
    let from = since;
    for (;;) {
      const credits = slice.all(user, from, Number.isFinite(sliceSize) ? sliceSize : -1);
      yield { user, since: from, previousTs, base: { ...base }, credits };
      if (credits.length < sliceSize || !credits.length) return;
      for (const c of credits) base[ZONES[c.zone]!] += c.seconds;
      previousTs = credits.at(-1)!.ts;
      from = previousTs + 1;
    }
  }

  /** The user's first timeline instant: a store rebuilding a series whole starts there. */
  firstTs(user: string): number | null {
    return this.db.query<{ ts: number | null }, [string]>("SELECT MIN(ts) AS ts FROM credit WHERE user = ?").get(user)!.ts;
  }

  cursor(file: string): number {
    return this.db.query<{ offset: number }, [string]>("SELECT offset FROM raw_cursor WHERE file = ?").get(file)?.offset ?? 0;
  }

  setCursor(position: RawPosition) {
    this.db
      .query("INSERT INTO raw_cursor (file, offset) VALUES (?, ?) ON CONFLICT DO UPDATE SET offset = MAX(offset, excluded.offset)")
      .run(position.file, position.end);
  }

  getMeta(key: string): string | null {
    return this.db.query<{ value: string }, [string]>("SELECT value FROM meta WHERE key = ?").get(key)?.value ?? null;
  }

  setMeta(key: string, value: string) {
    this.db.query("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
  }

  /** Forgets everything (replay rebuilds it from the raw log). */
  reset() {
    this.db.exec("DELETE FROM hr_sample; DELETE FROM credit; DELETE FROM zone_total; DELETE FROM pending; DELETE FROM raw_cursor;");
    this.records.reset();
  }

  close() {
    this.db.close();
  }
}
