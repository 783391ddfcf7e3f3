// Every distinct sample ever received and what the merged timeline credits each: the state that makes
// zone seconds independent of batching, repetition and arrival order. Local bun:sqlite, whatever the store.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { GaugeSample, HeartRateSample, SleepNight, Workout } from "../normalize/model";
import { RecordLedger } from "./records";
import { emptyZoneSeconds, ZONES, type Credit, type ZoneSeconds } from "../transform/zones";
import { DAY_S } from "./day-block";
import { checkpoint, useWal } from "../wal";
import { HeartRateDays } from "./hr-days";
import { migrateSampleRows } from "./migrate";
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

/** Lower bpm bounds of z2..z5, or per instant when a person's zones changed over time. */
export type ZoneBounds = number[] | ((ts: number) => number[]);

/** Everything a store needs to rewrite a user's zone series from `since` on. */
export interface ZoneRewrite {
  user: string;
  since: number;
  /** Timeline instant just before `since`, or null. */
  previousTs: number | null;
  /** The credits of `since`'s UTC day before `since` (a store may redraw whole days from them). */
  earlier: Credit[];
  /** Every credit at or after `since` in this slice, sorted by ts; a slice ends at the end of a UTC day. */
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

/** Meta key: the number of the last delivery (deliverPending). */
const DELIVERY_SEQ = "delivery_seq";

const dayStartOf = (ts: number) => Math.floor(ts / DAY_S) * DAY_S;

export class Ledger {
  readonly db: Database;
  readonly records: RecordLedger;
  private readonly days: HeartRateDays;

  constructor(dataDir: string | ":memory:") {
    this.db = new Database(dataDir === ":memory:" ? ":memory:" : join(dataDir, "ledger.sqlite"), { create: true, strict: true });
    useWal(this.db);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS pending (user TEXT PRIMARY KEY, since INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS raw_cursor (file TEXT PRIMARY KEY, offset INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.records = new RecordLedger(this.db);
    // a sample's identity is the seed's key without the value: type|instant|source|device (per user)
    this.days = new HeartRateDays(this.db);
    migrateSampleRows(this.db, this.days);
  }

  /**
   * Runs `work` (which may await) as one write transaction: a body merged in pieces, with turns of the event
   * loop in between, is kept whole or not at all. Transactions inside it (ingest, record merges) nest.
   */
  async atomically<T>(work: () => Promise<T>): Promise<T> {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = await work();
      this.db.exec("COMMIT");
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      this.days.loadIds();
      throw err;
    }
  }

  /**
   * Merges samples into the user's timeline and re-credits the stretch they touch, in one transaction
   * that also moves the raw-log cursor, so a crash either keeps both or neither.
   */
  ingest(
    user: string,
    samples: readonly HeartRateSample[],
    boundsBpm: ZoneBounds,
    position?: RawPosition,
    records?: RecordsInput,
  ): IngestResult & { recordsChanged: number; recordsDropped: number } {
    try {
      return this.db.transaction(() => {
        const merged = this.days.merge(user, samples, boundsBpm);
        if (merged.changedFrom !== null) this.markPending(user, merged.changedFrom);
        const held = records ? this.records.merge(user, records.gauges, records.sleep, records.workouts) : { changed: 0, dropped: 0 };
        if (position) this.setCursor(position);
        const zoneSecondsAdded = emptyZoneSeconds();
        ZONES.forEach((z, zone) => (zoneSecondsAdded[z] = merged.added[zone]!));
        return {
          accepted: merged.accepted,
          duplicates: merged.duplicates,
          zoneSecondsAdded,
          changedFrom: merged.changedFrom,
          recordsChanged: held.changed,
          recordsDropped: held.dropped,
        };
        // IMMEDIATE: another process (`import`) may write the ledger; a deferred transaction that read first
        // fails at once with SQLITE_BUSY when it upgrades to a write, where this one waits out busy_timeout
      }).immediate();
    } catch (err) {
      this.days.loadIds();
      throw err;
    }
  }

  markPending(user: string, since: number) {
    this.db
      .query("INSERT INTO pending (user, since) VALUES (?, ?) ON CONFLICT DO UPDATE SET since = MIN(since, excluded.since)")
      .run(user, since);
  }

  /** Every user the ledger holds anything for. */
  users(): string[] {
    const records = this.db
      .query<{ user: string }, []>("SELECT user FROM gauge_point UNION SELECT user FROM night UNION SELECT user FROM workout")
      .all()
      .map((row) => row.user);
    return [...new Set([...this.days.firsts().map((row) => row.user), ...records])].sort();
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

  /** The number of the last delivery the store acknowledged (Store.deliveredSeq); 0 before any. */
  deliverySeq(): number {
    return Number(this.getMeta(DELIVERY_SEQ) ?? 0);
  }

  setDeliverySeq(seq: number) {
    this.setMeta(DELIVERY_SEQ, String(seq));
  }

  /** Marks every user's whole history for delivery (a store that lost deliveries, or another store than before). */
  markAllPending() {
    const upsert = this.db.query("INSERT OR REPLACE INTO pending (user, since) VALUES (?, ?)");
    for (const { user, since } of this.days.firsts()) upsert.run(user, since);
    this.records.markAllPending();
  }

  /** The whole rewrite from `since` in one piece (tests, and a store rebuilding a series from scratch). */
  zoneRewrite(user: string, since: number): ZoneRewrite {
    const [whole] = this.zoneRewrites(user, since, Infinity);
    return whole!;
  }

  /**
   * The rewrite from `since` in consecutive slices of whole UTC days (the first from `since`), each closed once it
   * holds `sliceSize` credits, so a year-long rewrite never sits in memory at once. Yields at least one slice.
   */
  *zoneRewrites(user: string, since: number, sliceSize: number): Generator<ZoneRewrite> {
    const stretch = this.days.creditsFrom(user, since);
    const days = stretch.days;
    let previousTs = stretch.previousTs;
    let from = since;
    let pending = days.next();
    for (let first = true; ; first = false) {
      const slice: Credit[] = [];
      while (slice.length < sliceSize && !pending.done) {
        for (const c of pending.value) slice.push(c);
        pending = days.next();
      }
      yield first ? this.firstRewrite(user, since, previousTs, slice) : { user, since: from, previousTs, earlier: [], credits: slice };
      if (pending.done) return;
      if (slice.length) previousTs = slice.at(-1)!.ts;
      from = dayStartOf(pending.value[0]!.ts);
    }
  }

  /** A rewrite's first slice: `earlier` (decoding the day before `since`) is read only by a store that asks. */
  private firstRewrite(user: string, since: number, previousTs: number | null, credits: Credit[]): ZoneRewrite {
    let earlier: Credit[] | null = null;
    const days = this.days;
    return {
      user,
      since,
      previousTs,
      credits,
      get earlier() {
        if (earlier === null) {
          const [day] = days.creditsFrom(user, dayStartOf(since)).days;
          earlier = day?.length && dayStartOf(day[0]!.ts) === dayStartOf(since) ? day.filter((c) => c.ts < since) : [];
        }
        return earlier;
      },
    };
  }

  /** The user's first timeline instant: a store rebuilding a series whole starts there. */
  firstTs(user: string): number | null {
    return this.days.firstTs(user);
  }

  /** The user's earliest instant of anything held (samples, gauges, nights, workouts): nothing is stored before it. */
  firstInstant(user: string): number | null {
    const instants = [this.firstTs(user), this.records.firstInstant(user)].filter((ts): ts is number => ts !== null);
    return instants.length ? Math.min(...instants) : null;
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
    this.db.exec("DELETE FROM pending; DELETE FROM raw_cursor;");
    this.days.reset();
    this.records.reset();
  }

  /** Copies the WAL into the database file (the pipeline calls it when idle). */
  checkpoint() {
    checkpoint(this.db);
  }

  close() {
    this.db.close();
  }
}

/**
 * Merges a few days of minute samples and syncs after them into an in-memory ledger, `rounds` times, and hands each
 * rewrite to `deliver`: the first year-long body then finds the merge and the rewrite compiled.
 */
export function warmUpLedger(deliver: (rewrite: ZoneRewrite) => void, rounds = 2, n = 3_000): void {
  const start = 1_700_006_400;
  for (let round = 0; round < rounds; round++) {
    const ledger = new Ledger(":memory:");
    const samples = Array.from({ length: n }, (_, i): HeartRateSample => ({ ts: start + 60 * i, bpm: 50 + ((i * 37) % 140), source: "warm-up", device: "" }));
    ledger.ingest("warm-up", samples, [120, 140, 160, 180]);
    for (let i = 1; i <= 60; i++) ledger.ingest("warm-up", [{ ...samples[0]!, ts: start + 60 * (n + i) }], [120, 140, 160, 180]);
    for (const rewrite of ledger.zoneRewrites("warm-up", start, 50_000)) deliver(rewrite);
    ledger.close();
  }
}
