// The ledger's heart-rate timeline on disk: one row per user-day with every distinct sample of that day
// as a packed block, the zone each timeline instant was credited, and the day's zone seconds. A batch
// rewrites the days it touches and, when a day's last instant moves, the first credit of the next day.
import type { Database, Statement } from "bun:sqlite";
import { UserIds } from "./user-ids";
import type { HeartRateSample } from "../normalize/model";
import { compareOrigins, creditSeconds, creditTimeline, zoneIndex, type Credit, type Origin } from "../transform/zones";
import type { ZoneBounds } from "./ledger";
import { appendSamples, DAY_S, dayOf, decodeMark, decodeSamples, emptySamples, encodeMark, encodeSamples, mergeDay, timelineFrom, timelineOf, type DaySamples, type DayTimeline } from "./day-block";

/** A row's key is user id × 2^20 + UTC day number (day 2^20 falls in the year 4840). */
const USER_SPAN = 2 ** 20;

interface DayRow {
  key: number;
  first_ts: number;
  last_ts: number;
  s0: number;
  s1: number;
  s2: number;
  s3: number;
  s4: number;
  samples: Uint8Array;
  zones: Uint8Array;
  /** Where the last append started (day-block's BlockMark), or null: a rewritten day is walked from its start. */
  mark: Uint8Array | null;
}

interface HeldDay {
  samples: DaySamples;
  timeline: DayTimeline;
  zones: Uint8Array;
  totals: number[];
  firstTs: number;
  lastTs: number;
}

export interface DaysMerge {
  accepted: number;
  duplicates: number;
  /** Change of zone seconds per zone index. */
  added: number[];
  changedFrom: number | null;
}

/**
 * The row this connection wrote last, and the credits of the instants a sync appended to it: the delivery right
 * after, and the next sync, read them from here instead of reading the day again. Valid while no other write to
 * hr_day was made (`writes`), none was rolled back (loadIds) and no other connection committed (`data_version`).
 */
interface HotRow {
  row: DayRow;
  writes: number;
  dataVersion: number;
  appended: { since: number; previousTs: number; credits: Credit[] } | null;
}

export class HeartRateDays {
  private readonly userIds: UserIds;
  private originIds = new Map<string, number>();
  /** Origin id → its (source, device), for compareOrigins. */
  private originOf: Origin[] = [];
  private writes = 0;
  private hot: HotRow | null = null;

  constructor(private readonly db: Database) {
    this.userIds = new UserIds(db);
    db.exec(`
      -- a ledger written before the VM store kept its own counter state also has per-user totals s0..s4 here, unused
      CREATE TABLE IF NOT EXISTS hr_user (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      CREATE TABLE IF NOT EXISTS hr_origin (id INTEGER PRIMARY KEY, source TEXT NOT NULL, device TEXT NOT NULL, UNIQUE (source, device));
      CREATE TABLE IF NOT EXISTS hr_day (key INTEGER PRIMARY KEY, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,
        s0 REAL NOT NULL, s1 REAL NOT NULL, s2 REAL NOT NULL, s3 REAL NOT NULL, s4 REAL NOT NULL,
        samples BLOB NOT NULL, zones BLOB NOT NULL, mark BLOB);
    `);
    if (!db.query<{ name: string }, []>("PRAGMA table_info(hr_day)").all().some((c) => c.name === "mark")) db.exec("ALTER TABLE hr_day ADD COLUMN mark BLOB");
    this.loadIds();
  }

  /** Re-reads the id caches: a rolled-back transaction may have taken back ids handed out in it (and rows). */
  loadIds() {
    this.hot = null;
    this.userIds.reload();
    this.originIds.clear();
    this.originOf = [];
    for (const row of this.db.query<{ id: number; source: string; device: string }, []>("SELECT id, source, device FROM hr_origin").all()) {
      this.originIds.set(`${row.source}\u0000${row.device}`, row.id);
      this.originOf[row.id] = { source: row.source, device: row.device };
    }
  }

  userId(name: string, create: boolean): number | null {
    return this.userIds.get(name, create);
  }

  private originId(source: string, device: string): number {
    const key = `${source}\u0000${device}`;
    let id = this.originIds.get(key);
    if (id === undefined) {
      // two JS strings can be one SQLite text (lone surrogates become U+FFFD): the table decides
      this.db.query("INSERT INTO hr_origin (source, device) VALUES (?, ?) ON CONFLICT DO NOTHING").run(source, device);
      const row = this.db.query<{ id: number; source: string; device: string }, [string, string]>(
        "SELECT id, source, device FROM hr_origin WHERE source = ? AND device = ?",
      ).get(source, device)!;
      id = row.id;
      this.originIds.set(key, id);
      this.originOf[id] ??= { source: row.source, device: row.device };
    }
    return id;
  }

  /** An origin another process (`import` beside `serve`) added since the caches were read: read them again. */
  private origin(id: number): Origin {
    if (this.originOf[id] === undefined) this.loadIds();
    return this.originOf[id]!;
  }

  /** Two origins at one instant in the timeline's order (compareOrigins): the one that counts comes first. */
  readonly order = (a: number, b: number): number => (a === b ? 0 : compareOrigins(this.origin(a), this.origin(b)));

  /** Merges samples (any order) into the user's days; must run inside the caller's transaction. */
  merge(user: string, samples: readonly HeartRateSample[], boundsBpm: ZoneBounds): DaysMerge {
    const result: DaysMerge = { accepted: 0, duplicates: 0, added: [0, 0, 0, 0, 0], changedFrom: null };
    if (!samples.length) return result;
    const uid = this.userId(user, true)!;
    for (const [day, incoming] of this.byDay(samples)) {
      const row = this.row(uid, day);
      // a sync of the latest minutes: every sample after the day's last instant, appended without decoding the day
      const appended = row !== null && incoming.ts[0]! > row.last_ts;
      const held = row && !appended ? this.decode(day, row) : null;
      const merge = mergeDay(held?.samples ?? emptySamples(), incoming, this.order);
      result.accepted += merge.accepted;
      result.duplicates += merge.duplicates;
      if (merge.firstChanged === null) continue;
      result.changedFrom ??= merge.firstChanged;
      const lastTs = appended
        ? this.append(day, row, merge.merged, boundsBpm, result.added)
        : this.save(uid, day, merge.merged, held, [merge.firstChanged, Infinity], boundsBpm, result.added);
      // the next held day's first credit is earned since this day's last instant
      if (row && row.last_ts === lastTs) continue;
      const next = this.nextDay(uid, day);
      if (next === null) continue;
      const following = this.decode(next, this.row(uid, next)!);
      this.save(uid, next, following.samples, following, [following.firstTs, following.firstTs], boundsBpm, result.added);
    }
    return result;
  }

  /** Adds `later` (all after the held day's last instant) to its end: only their own credits are new. */
  private append(day: number, row: DayRow, later: DaySamples, boundsBpm: ZoneBounds, added: number[]) {
    const boundsAt = typeof boundsBpm === "function" ? boundsBpm : () => boundsBpm;
    const timeline = timelineOf(later);
    const zones = new Uint8Array(row.zones.length + timeline.length);
    zones.set(row.zones);
    const totals = [row.s0, row.s1, row.s2, row.s3, row.s4];
    let previous = row.last_ts;
    for (let i = 0; i < timeline.length; i++) {
      const ts = timeline.ts[i]!;
      const zone = zoneIndex(timeline.bpm[i]!, boundsAt(ts));
      zones[row.zones.length + i] = zone;
      const seconds = creditSeconds(ts, previous);
      totals[zone]! += seconds;
      added[zone]! += seconds;
      previous = ts;
    }
    const { bytes, mark } = appendSamples(row.samples, row.last_ts, row.zones.length, later);
    const written: DayRow = { ...row, last_ts: previous, s0: totals[0]!, s1: totals[1]!, s2: totals[2]!, s3: totals[3]!, s4: totals[4]!, samples: bytes, zones, mark: encodeMark(day, mark) };
    this.db
      .query("UPDATE hr_day SET last_ts = ?, s0 = ?, s1 = ?, s2 = ?, s3 = ?, s4 = ?, samples = ?, zones = ?, mark = ? WHERE key = ?")
      .run(written.last_ts, written.s0, written.s1, written.s2, written.s3, written.s4, bytes, zones, written.mark, written.key);
    const credits = creditTimeline({ ...timeline, zones: zones.subarray(row.zones.length) }, row.last_ts);
    this.wrote(written, { since: timeline.ts[0]!, previousTs: row.last_ts, credits });
    return previous;
  }

  /**
   * Writes days as an earlier layout held them: `samples` (one user, ascending days) with the zone each
   * instant was credited. Days must come in time order (a day's first credit is earned from the one before).
   */
  restore(user: string, samples: readonly HeartRateSample[], zoneAt: Map<number, number>) {
    const uid = this.userId(user, true)!;
    const added = [0, 0, 0, 0, 0];
    for (const [day, block] of this.byDay(samples)) {
      const timeline = timelineOf(block);
      const zones = Uint8Array.from(timeline.ts.subarray(0, timeline.length), (ts) => zoneAt.get(ts) ?? 0);
      const held: HeldDay = { samples: block, timeline, zones, totals: [0, 0, 0, 0, 0], firstTs: timeline.ts[0]!, lastTs: timeline.ts[timeline.length - 1]! };
      this.save(uid, day, block, held, [Infinity, -Infinity], [], added);
    }
  }

  /** The batch as per-day blocks sorted by (instant, origin order), arrival order kept among equal keys. */
  private byDay(samples: readonly HeartRateSample[]): Map<number, DaySamples> {
    const n = samples.length;
    const ts = new Float64Array(n);
    const origin = new Uint32Array(n);
    const bpm = new Float64Array(n);
    let source: string | null = null;
    let device: string | null = null;
    let id = 0;
    let sorted = true;
    for (let i = 0; i < n; i++) {
      const s = samples[i]!;
      if (!Number.isInteger(s.ts) || s.ts < 0 || s.ts >= USER_SPAN * DAY_S) {
        throw new RangeError(`heart-rate sample at ${s.ts}: the instant must be whole seconds since 1970`);
      }
      if (s.source !== source || s.device !== device) {
        source = s.source;
        device = s.device;
        id = this.originId(source, device);
      }
      ts[i] = s.ts;
      origin[i] = id;
      bpm[i] = s.bpm;
      if (i && ts[i]! <= ts[i - 1]!) sorted = false;
    }
    const byDay = new Map<number, DaySamples>();
    if (sorted) {
      for (let start = 0; start < n; ) {
        const day = dayOf(ts[start]!);
        let end = start;
        while (end < n && dayOf(ts[end]!) === day) end++;
        byDay.set(day, { length: end - start, ts: ts.subarray(start, end), origin: origin.subarray(start, end), bpm: bpm.subarray(start, end) });
        start = end;
      }
      return byDay;
    }
    const index = Array.from({ length: n }, (_, i) => i).sort((a, b) => ts[a]! - ts[b]! || this.order(origin[a]!, origin[b]!) || a - b);
    for (let start = 0; start < n; ) {
      const day = dayOf(ts[index[start]!]!);
      let end = start;
      while (end < n && dayOf(ts[index[end]!]!) === day) end++;
      const block = emptySamples(end - start);
      block.length = end - start;
      for (let k = 0; k < block.length; k++) {
        const at = index[start + k]!;
        block.ts[k] = ts[at]!;
        block.origin[k] = origin[at]!;
        block.bpm[k] = bpm[at]!;
      }
      byDay.set(day, block);
      start = end;
    }
    return byDay;
  }

  /**
   * Writes a day back: instants inside `window` are credited with `boundsBpm`, the others keep the zone they
   * were credited with. Adds the change of the day's zone seconds to `added`; returns the day's last instant.
   */
  private save(uid: number, day: number, samples: DaySamples, held: HeldDay | null, window: [number, number], boundsBpm: ZoneBounds, added: number[]) {
    const boundsAt = typeof boundsBpm === "function" ? boundsBpm : () => boundsBpm;
    const timeline = timelineOf(samples);
    const zones = new Uint8Array(timeline.length);
    const totals = [0, 0, 0, 0, 0];
    let previous = this.lastBefore(uid, day);
    for (let i = 0, k = 0; i < timeline.length; i++) {
      const ts = timeline.ts[i]!;
      if (held && (ts < window[0] || ts > window[1])) {
        while (k < held.timeline.length && held.timeline.ts[k]! < ts) k++;
        zones[i] = held.timeline.ts[k] === ts ? held.zones[k]! : zoneIndex(timeline.bpm[i]!, boundsAt(ts));
      } else zones[i] = zoneIndex(timeline.bpm[i]!, boundsAt(ts));
      totals[zones[i]!]! += creditSeconds(ts, previous);
      previous = ts;
    }
    for (let z = 0; z < 5; z++) added[z]! += totals[z]! - (held?.totals[z] ?? 0);
    const lastTs = timeline.ts[timeline.length - 1]!;
    const [s0, s1, s2, s3, s4] = totals as [number, number, number, number, number];
    const written: DayRow = { key: uid * USER_SPAN + day, first_ts: timeline.ts[0]!, last_ts: lastTs, s0, s1, s2, s3, s4, samples: encodeSamples(day, samples), zones, mark: null };
    this.db
      .query("INSERT OR REPLACE INTO hr_day (key, first_ts, last_ts, s0, s1, s2, s3, s4, samples, zones) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(written.key, written.first_ts, lastTs, s0, s1, s2, s3, s4, written.samples, zones);
    this.wrote(written, null);
    return lastTs;
  }

  private wrote(row: DayRow, appended: HotRow["appended"]) {
    this.hot = { row, writes: ++this.writes, dataVersion: this.dataVersion(), appended };
  }

  private dataVersion(): number {
    return this.db.query<{ data_version: number }, []>("PRAGMA data_version").get()!.data_version;
  }

  /** The hot row when it is still what the table holds. */
  private fresh(key: number): HotRow | null {
    const hot = this.hot;
    return hot && hot.row.key === key && hot.writes === this.writes && hot.dataVersion === this.dataVersion() ? hot : null;
  }

  private row(uid: number, day: number): DayRow | null {
    const key = uid * USER_SPAN + day;
    return this.fresh(key)?.row ?? this.db.query<DayRow, [number]>("SELECT * FROM hr_day WHERE key = ?").get(key);
  }

  private decode(day: number, row: DayRow): HeldDay {
    const samples = decodeSamples(day, row.samples);
    return { samples, timeline: timelineOf(samples), zones: row.zones, totals: [row.s0, row.s1, row.s2, row.s3, row.s4], firstTs: row.first_ts, lastTs: row.last_ts };
  }

  /** The user's last timeline instant on a day before `day`, or null. */
  private lastBefore(uid: number, day: number): number | null {
    return (
      this.db
        .query<{ last_ts: number }, [number, number]>("SELECT last_ts FROM hr_day WHERE key < ? AND key >= ? ORDER BY key DESC LIMIT 1")
        .get(uid * USER_SPAN + day, uid * USER_SPAN)?.last_ts ?? null
    );
  }

  private nextDay(uid: number, day: number): number | null {
    const row = this.db
      .query<{ key: number }, [number, number]>("SELECT key FROM hr_day WHERE key > ? AND key < ? ORDER BY key LIMIT 1")
      .get(uid * USER_SPAN + day, (uid + 1) * USER_SPAN);
    return row ? row.key - uid * USER_SPAN : null;
  }

  /**
   * Every credit at or after `since`, in time order, one day's credits at a time, and the timeline instant before
   * `since` (null when none) that the first credit is earned from.
   */
  creditsFrom(user: string, since: number): { previousTs: number | null; days: Generator<Credit[]> } {
    const uid = this.userId(user, false);
    const next = this.db.query<DayRow, [number, number]>("SELECT key, last_ts, samples, zones, mark FROM hr_day WHERE key >= ? AND key < ? ORDER BY key LIMIT 1");
    if (uid === null) return { previousTs: null, days: (function* () {})() };
    const end = (uid + 1) * USER_SPAN;
    const appended = this.fresh(uid * USER_SPAN + dayOf(since));
    if (appended?.appended?.since === since) {
      // the delivery right after a sync of the latest minutes: its credits as the append made them
      const { row, appended: sync } = appended;
      return { previousTs: sync.previousTs, days: this.daysAfter(row, uid, next, end, sync.credits) };
    }
    const earlierDays = this.lastBefore(uid, dayOf(since));
    const row = next.get(uid * USER_SPAN + dayOf(since), end);
    if (!row) return { previousTs: earlierDays, days: (function* () {})() };
    const day = row.key - uid * USER_SPAN;
    const first = timelineFrom(day, row.samples, row.zones, since, decodeMark(day, row.mark));
    const previousTs = first.before ?? earlierDays;
    return { previousTs, days: this.daysAfter(row, uid, next, end, creditTimeline(first.stretch, previousTs)) };
  }

  /** `first` (the credits of `row`'s day from the rewrite's start), then every later day's credits. */
  private *daysAfter(row: DayRow, uid: number, next: Statement<DayRow, [number, number]>, end: number, first: Credit[]): Generator<Credit[]> {
    yield first;
    let previous = row.last_ts;
    for (let held = next.get(row.key + 1, end); held; held = next.get(held.key + 1, end)) {
      yield creditTimeline({ ...timelineOf(decodeSamples(held.key - uid * USER_SPAN, held.samples)), zones: held.zones }, previous);
      previous = held.last_ts;
    }
  }

  firstTs(user: string): number | null {
    const uid = this.userId(user, false);
    if (uid === null) return null;
    return (
      this.db
        .query<{ first_ts: number }, [number, number]>("SELECT first_ts FROM hr_day WHERE key >= ? AND key < ? ORDER BY key LIMIT 1")
        .get(uid * USER_SPAN, (uid + 1) * USER_SPAN)?.first_ts ?? null
    );
  }

  /** Every user holding heart rate, with their first instant. */
  firsts(): { user: string; since: number }[] {
    return this.db
      .query<{ user: string; since: number | null }, []>(
        `SELECT name AS user, (SELECT first_ts FROM hr_day WHERE key >= id * ${USER_SPAN} AND key < (id + 1) * ${USER_SPAN} ORDER BY key LIMIT 1) AS since
         FROM hr_user ORDER BY name`,
      )
      .all()
      .filter((row): row is { user: string; since: number } => row.since !== null);
  }

  reset() {
    this.db.exec("DELETE FROM hr_day;");
    this.writes++;
  }
}
