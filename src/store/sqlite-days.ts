// The embedded store's zone and heart-rate series: one row per user-day holding that day's timeline
// (instant, bpm, zone and seconds earned) as one packed block, plus the day's zone seconds, so a range
// sums whole days from their totals and reads only the two days at its edges.
import type { Database } from "bun:sqlite";
import { UserIds } from "../ledger/user-ids";
import { DAY_S, dayOf } from "../ledger/day-block";
import { ByteReader, ByteWriter } from "../ledger/packed";
import { ZONES, emptyZoneSeconds, type Credit, type ZoneSeconds } from "../transform/zones";
import type { HeartRatePoint } from "./store";

/** A row's key is user id × 2^20 + UTC day number. */
const USER_SPAN = 2 ** 20;

/** Zone and whole seconds 0..15 share a byte; anything else escapes to a float. */
const ESCAPE = 0x80;

/** Credits after `previous` (a day's start or the credit before them): delta, bpm, zone and seconds each. */
function writeCredits(out: ByteWriter, credits: readonly Credit[], previous: number) {
  for (const c of credits) {
    out.uint(c.ts - previous);
    out.bpm(c.bpm);
    if (Number.isInteger(c.seconds) && c.seconds >= 0 && c.seconds < 16) out.uint(c.zone * 16 + c.seconds);
    else {
      out.uint(ESCAPE | c.zone);
      out.float(c.seconds);
    }
    previous = c.ts;
  }
}

function encodeDay(day: number, credits: readonly Credit[]): Uint8Array {
  const out = new ByteWriter(5 * credits.length + 8);
  out.uint(credits.length);
  writeCredits(out, credits, day * DAY_S);
  return out.bytes();
}

function decodeDay(day: number, bytes: Uint8Array): Credit[] {
  const reader = new ByteReader(bytes);
  const credits: Credit[] = new Array(reader.uint());
  let ts = day * DAY_S;
  for (let i = 0; i < credits.length; i++) {
    ts += reader.uint();
    const bpm = reader.bpm();
    const code = reader.uint();
    credits[i] = code & ESCAPE ? { ts, bpm, zone: code & 7, seconds: reader.float() } : { ts, bpm, zone: code >> 4, seconds: code & 15 };
  }
  return credits;
}

/** A day row as spliceDay reads it. */
interface DayRow {
  block: Uint8Array;
  last_ts: number | null;
  s0: number;
  s1: number;
  s2: number;
  s3: number;
  s4: number;
}

export class HeartRateDayStore {
  private readonly userIds: UserIds;
  /**
   * The row this connection wrote last, so the next sync splices it without reading it again: valid while this
   * connection wrote nothing else to that key, rolled nothing back (loadIds) and no other one committed (`data_version`).
   */
  private hot: { key: number; row: DayRow; dataVersion: number } | null = null;

  constructor(private readonly db: Database) {
    this.userIds = new UserIds(db);
    db.exec(`
      CREATE TABLE IF NOT EXISTS hr_user (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      CREATE TABLE IF NOT EXISTS hr_day (key INTEGER PRIMARY KEY,
        s0 REAL NOT NULL, s1 REAL NOT NULL, s2 REAL NOT NULL, s3 REAL NOT NULL, s4 REAL NOT NULL, block BLOB NOT NULL, last_ts INTEGER);
    `);
    // the day's last credit, so a rewrite after it keeps the block without walking it (null in a store written before)
    if (!db.query<{ name: string }, []>("PRAGMA table_info(hr_day)").all().some((c) => c.name === "last_ts")) db.exec("ALTER TABLE hr_day ADD COLUMN last_ts INTEGER");
    this.loadIds();
  }

  /** Re-reads the user ids: a rolled-back transaction may have taken back one handed out in it. */
  loadIds() {
    this.hot = null;
    this.userIds.reload();
  }

  private dataVersion(): number {
    return this.db.query<{ data_version: number }, []>("PRAGMA data_version").get()!.data_version;
  }

  /** Deletes the rows from <= key < to. */
  private remove(from: number, to: number) {
    this.db.query("DELETE FROM hr_day WHERE key >= ? AND key < ?").run(from, to);
    if (this.hot && this.hot.key >= from && this.hot.key < to) this.hot = null;
  }

  private userId(name: string, create: boolean): number | null {
    return this.userIds.get(name, create);
  }

  /** Replaces everything from `since` on with `credits` (sorted, all at or after `since`); call inside a transaction. */
  replaceFrom(user: string, since: number, credits: readonly Credit[]) {
    const uid = this.userId(user, true)!;
    const first = dayOf(since);
    this.remove(uid * USER_SPAN + first + 1, (uid + 1) * USER_SPAN);
    let end = 0;
    while (end < credits.length && dayOf(credits[end]!.ts) === first) end++;
    this.spliceDay(uid, first, since, credits.slice(0, end));
    for (let start = end; start < credits.length; start = end) {
      const day = dayOf(credits[start]!.ts);
      while (end < credits.length && dayOf(credits[end]!.ts) === day) end++;
      this.write(uid, day, credits.slice(start, end));
    }
  }

  /**
   * The held day's credits before `since` (kept as encoded, not decoded), then `later`. A sync of the latest minutes
   * keeps them all: the block is not walked, its totals are the row's.
   */
  private spliceDay(uid: number, day: number, since: number, later: readonly Credit[]) {
    const key = uid * USER_SPAN + day;
    const hot = this.hot?.key === key && this.hot.dataVersion === this.dataVersion() ? this.hot.row : null;
    const row = hot ?? this.db.query<DayRow, [number]>("SELECT block, last_ts, s0, s1, s2, s3, s4 FROM hr_day WHERE key = ?").get(key);
    const held = row?.block ?? new Uint8Array([0]);
    const reader = new ByteReader(held);
    const count = reader.uint();
    const start = reader.offset;
    const after = row !== null && row.last_ts !== null && since > row.last_ts;
    const totals = (after ? [row.s0, row.s1, row.s2, row.s3, row.s4] : [0, 0, 0, 0, 0]) as [number, number, number, number, number];
    let ts = after ? row.last_ts! : day * DAY_S;
    let kept = after ? count : 0;
    let keptEnd = after ? held.length : start;
    for (; kept < count; kept++) {
      const next = ts + reader.uint();
      if (next >= since) break;
      ts = next;
      reader.bpm();
      const code = reader.uint();
      if (code & ESCAPE) totals[code & 7]! += reader.float();
      else totals[code >> 4]! += code & 15;
      keptEnd = reader.offset;
    }
    if (!kept && !later.length) return this.remove(key, key + 1);
    const out = new ByteWriter(keptEnd + 20 * later.length + 8);
    out.uint(kept + later.length);
    out.raw(held.subarray(start, keptEnd));
    for (const c of later) totals[c.zone]! += c.seconds;
    writeCredits(out, later, ts);
    this.put(key, totals, out.bytes(), later.length ? later.at(-1)!.ts : ts);
  }

  private put(key: number, totals: [number, number, number, number, number], block: Uint8Array, lastTs: number) {
    this.db.query("INSERT OR REPLACE INTO hr_day (key, s0, s1, s2, s3, s4, block, last_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").run(key, ...totals, block, lastTs);
    const [s0, s1, s2, s3, s4] = totals;
    this.hot = { key, row: { block, last_ts: lastTs, s0, s1, s2, s3, s4 }, dataVersion: this.dataVersion() };
  }

  /** Rewrites one day as it stood in an earlier layout (upgrade). */
  restoreDay(user: string, day: number, credits: readonly Credit[]) {
    this.write(this.userId(user, true)!, day, credits);
  }

  private write(uid: number, day: number, credits: readonly Credit[]) {
    if (!credits.length) return this.remove(uid * USER_SPAN + day, uid * USER_SPAN + day + 1);
    const totals = [0, 0, 0, 0, 0] as [number, number, number, number, number];
    for (const c of credits) totals[c.zone]! += c.seconds;
    this.put(uid * USER_SPAN + day, totals, encodeDay(day, credits), credits.at(-1)!.ts);
  }

  private day(uid: number, day: number): Credit[] {
    const row = this.db.query<{ block: Uint8Array }, [number]>("SELECT block FROM hr_day WHERE key = ?").get(uid * USER_SPAN + day);
    return row ? decodeDay(day, row.block) : [];
  }

  /** The held days between two instants' days, as (day, credits), ascending or descending. */
  private *days(uid: number, from: number, to: number, descending = false): Generator<Credit[]> {
    const rows = this.db.query<{ key: number }, [number, number]>(
      `SELECT key FROM hr_day WHERE key >= ? AND key <= ? ORDER BY key ${descending ? "DESC" : ""}`,
    );
    for (const { key } of rows.all(uid * USER_SPAN + dayOf(from), uid * USER_SPAN + dayOf(to))) yield this.day(uid, key - uid * USER_SPAN);
  }

  /** Zone seconds at from < ts <= to: whole days from their totals, the edge days from their blocks. */
  zoneSeconds(user: string, from: number, to: number): ZoneSeconds {
    const totals = emptyZoneSeconds();
    const uid = this.userId(user, false);
    if (uid === null || to <= from) return totals;
    const [first, last] = [dayOf(from), dayOf(to)];
    const add = (credits: Credit[]) => {
      for (const c of credits) if (c.ts > from && c.ts <= to) totals[ZONES[c.zone]!] += c.seconds;
    };
    add(this.day(uid, first));
    if (last === first) return totals;
    if (last > first + 1) {
      const sums = this.db
        .query<{ s0: number | null; s1: number; s2: number; s3: number; s4: number }, [number, number]>(
          "SELECT SUM(s0) AS s0, SUM(s1) AS s1, SUM(s2) AS s2, SUM(s3) AS s3, SUM(s4) AS s4 FROM hr_day WHERE key > ? AND key < ?",
        )
        .get(uid * USER_SPAN + first, uid * USER_SPAN + last)!;
      if (sums.s0 !== null) ZONES.forEach((z, i) => (totals[z] += [sums.s0!, sums.s1, sums.s2, sums.s3, sums.s4][i]!));
    }
    add(this.day(uid, last));
    return totals;
  }

  lastHeartRate(user: string, from: number, to: number): HeartRatePoint | null {
    const uid = this.userId(user, false);
    if (uid === null || to <= from) return null;
    for (const credits of this.days(uid, from, to, true)) {
      for (let i = credits.length - 1; i >= 0; i--) {
        const c = credits[i]!;
        if (c.ts <= from) return null;
        if (c.ts <= to) return { ts: c.ts, bpm: c.bpm };
      }
    }
    return null;
  }

  /** The last point of each `step` seconds (counted from `from`) in from < ts <= to. */
  series(user: string, from: number, to: number, step: number): HeartRatePoint[] {
    const uid = this.userId(user, false);
    if (uid === null || to <= from) return [];
    const out: HeartRatePoint[] = [];
    let bucket = -1;
    for (const credits of this.days(uid, from, to)) {
      for (const c of credits) {
        if (c.ts <= from || c.ts > to) continue;
        const at = Math.floor((c.ts - from - 1) / step);
        if (at === bucket) out[out.length - 1] = { ts: c.ts, bpm: c.bpm };
        else out.push({ ts: c.ts, bpm: c.bpm });
        bucket = at;
      }
    }
    return out;
  }

  clear(user: string) {
    const uid = this.userId(user, false);
    if (uid !== null) this.remove(uid * USER_SPAN, (uid + 1) * USER_SPAN);
  }
}
