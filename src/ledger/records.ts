// Gauges, nights and workouts held per user beside the heart-rate timeline: identity → latest value.
import type { Database } from "bun:sqlite";
import { nightsFromSegments } from "../normalize/hae-sleep";
import type { GaugeSample, SleepNight, SleepSegment, SleepStage, Workout } from "../normalize/model";
import { workoutType } from "../normalize/workout-type";

export const SLEEP_STAGES: SleepStage[] = ["deep", "core", "rem", "awake", "asleep", "in_bed"];

/** The value a store holds for one gauge at one instant; `revision` grows each time that value changes. */
export interface GaugePoint {
  name: string;
  unit: string;
  ts: number;
  value: number;
  revision: number;
}

export interface NightRecord {
  source: string;
  start: number;
  end: number;
  stageSeconds: Record<SleepStage, number>;
}

export interface WorkoutRecord {
  id: string;
  type: string;
  name: string;
  start: number;
  end: number;
  durationS: number;
  distanceKm: number | null;
  activeEnergyKcal: number | null;
  avgHeartRate: number | null;
  maxHeartRate: number | null;
}

/** Everything a store needs to bring one user's records up to date. */
export interface RecordsUpdate {
  user: string;
  /** Gauge points whose value is new or changed since the last delivery. */
  gauges: GaugePoint[];
  /** All nights and all workouts (they are few; stores rebuild these series whole). */
  nights: NightRecord[];
  workouts: WorkoutRecord[];
}

/** Bounds on what one person's payloads can create in the store (HAE has about 150 metrics). */
const MAX_GAUGE_METRICS = 300;
const MAX_UNITS_PER_METRIC = 4;

/** A household member's workout types are bounded: past this many, new ones count as "other". */
const MAX_WORKOUT_TYPES = 40;

export class RecordLedger {
  constructor(private readonly db: Database) {
    db.exec(`
      -- identity is (metric, instant, source): a re-sent open bucket with a bigger qty replaces the old value
      CREATE TABLE IF NOT EXISTS gauge_sample (
        user TEXT NOT NULL, name TEXT NOT NULL, ts INTEGER NOT NULL, source TEXT NOT NULL, unit TEXT NOT NULL, value REAL NOT NULL,
        PRIMARY KEY (user, name, ts, source)) WITHOUT ROWID;
      -- what the store shows per (metric, instant): the least source wins, whatever arrived first
      CREATE TABLE IF NOT EXISTS gauge_point (
        user TEXT NOT NULL, name TEXT NOT NULL, ts INTEGER NOT NULL, unit TEXT NOT NULL, value REAL NOT NULL,
        revision INTEGER NOT NULL, delivered INTEGER NOT NULL,
        PRIMARY KEY (user, name, ts)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS gauge_point_undelivered ON gauge_point (user) WHERE delivered = 0;
      -- kind: 'aggregate' (HAE's nightly summary: a re-send replaces it) or 'segments' (rebuilt from sleep_segment)
      CREATE TABLE IF NOT EXISTS night (
        user TEXT NOT NULL, source TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
        deep REAL, core REAL, rem REAL, awake REAL, asleep REAL, in_bed REAL, kind TEXT NOT NULL DEFAULT 'aggregate',
        PRIMARY KEY (user, source, start)) WITHOUT ROWID;
      -- every sleep segment ever received, by identity: nights of per-segment exports are their union
      CREATE TABLE IF NOT EXISTS sleep_segment (
        user TEXT NOT NULL, source TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, stage TEXT NOT NULL,
        PRIMARY KEY (user, source, start, end, stage)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS workout (
        user TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
        duration_s REAL NOT NULL, distance_km REAL, energy_kcal REAL, avg_hr REAL, max_hr REAL,
        PRIMARY KEY (user, id)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS pending_records (user TEXT PRIMARY KEY);
    `);
    // ledgers written before nights had a kind
    if (!db.query<{ name: string }, []>("PRAGMA table_info(night)").all().some((c) => c.name === "kind")) {
      db.exec("ALTER TABLE night ADD COLUMN kind TEXT NOT NULL DEFAULT 'aggregate'");
    }
  }

  /**
   * Merges one payload's records; returns how many were new or changed, and how many gauge points were
   * dropped to keep a person's series bounded. Runs inside the ledger's transaction.
   */
  merge(user: string, gauges: readonly GaugeSample[], nights: readonly SleepNight[], workouts: readonly Workout[]): { changed: number; dropped: number } {
    let changed = 0;
    let dropped = 0;
    const series = this.gaugeSeries(user);
    for (const g of gauges) {
      const units = series.get(g.name);
      if (units ? !units.has(g.unit) && units.size >= MAX_UNITS_PER_METRIC : series.size >= MAX_GAUGE_METRICS) {
        dropped++;
        continue;
      }
      if (units) units.add(g.unit);
      else series.set(g.name, new Set([g.unit]));
      if (this.mergeGauge(user, g)) changed++;
    }
    for (const n of nights) if (this.mergeNight(user, n)) changed++;
    for (const w of workouts) if (this.mergeWorkout(user, w)) changed++;
    if (changed) this.db.query("INSERT OR IGNORE INTO pending_records (user) VALUES (?)").run(user);
    return { changed, dropped };
  }

  /** The person's gauge metrics and the units each has used. */
  private gaugeSeries(user: string): Map<string, Set<string>> {
    const series = new Map<string, Set<string>>();
    for (const { name, unit } of this.db.query<{ name: string; unit: string }, [string]>("SELECT DISTINCT name, unit FROM gauge_sample WHERE user = ?").all(user)) {
      (series.get(name) ?? series.set(name, new Set()).get(name)!).add(unit);
    }
    return series;
  }

  private mergeGauge(user: string, g: GaugeSample): boolean {
    const held = this.db
      .query<{ value: number; unit: string }, [string, string, number, string]>(
        "SELECT value, unit FROM gauge_sample WHERE user = ? AND name = ? AND ts = ? AND source = ?",
      )
      .get(user, g.name, g.ts, g.source);
    if (held && held.value === g.value && held.unit === g.unit) return false;
    this.db
      .query("INSERT OR REPLACE INTO gauge_sample (user, name, ts, source, unit, value) VALUES (?, ?, ?, ?, ?, ?)")
      .run(user, g.name, g.ts, g.source, g.unit, g.value);
    const winner = this.db
      .query<{ value: number; unit: string }, [string, string, number]>(
        "SELECT value, unit FROM gauge_sample WHERE user = ? AND name = ? AND ts = ? ORDER BY source LIMIT 1",
      )
      .get(user, g.name, g.ts)!;
    const shown = this.db
      .query<{ value: number; unit: string; revision: number }, [string, string, number]>(
        "SELECT value, unit, revision FROM gauge_point WHERE user = ? AND name = ? AND ts = ?",
      )
      .get(user, g.name, g.ts);
    if (shown && shown.value === winner.value && shown.unit === winner.unit) return true;
    this.db
      .query("INSERT OR REPLACE INTO gauge_point (user, name, ts, unit, value, revision, delivered) VALUES (?, ?, ?, ?, ?, ?, 0)")
      .run(user, g.name, g.ts, winner.unit, winner.value, shown ? shown.revision + 1 : 0);
    return true;
  }

  private mergeNight(user: string, n: SleepNight): boolean {
    return n.segments?.length ? this.mergeSegments(user, n.source, n.segments) : this.mergeSummaryNight(user, n);
  }

  /** Adds segments to the source's union and, when any is new, rebuilds that source's segment nights. */
  private mergeSegments(user: string, source: string, segments: readonly SleepSegment[]): boolean {
    const add = this.db.query("INSERT OR IGNORE INTO sleep_segment (user, source, start, end, stage) VALUES (?, ?, ?, ?, ?)");
    let added = 0;
    for (const seg of segments) added += add.run(user, source, seg.start, seg.end, seg.stage).changes;
    if (!added) return false;
    const all = this.db
      .query<SleepSegment, [string, string]>("SELECT start, end, stage FROM sleep_segment WHERE user = ? AND source = ?")
      .all(user, source);
    this.db.query("DELETE FROM night WHERE user = ? AND source = ? AND kind = 'segments'").run(user, source);
    const insert = this.db.query(
      "INSERT OR REPLACE INTO night (user, source, start, end, deep, core, rem, awake, asleep, in_bed, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'segments')",
    );
    for (const night of nightsFromSegments(source, all)) {
      insert.run(user, source, night.start, night.end, ...SLEEP_STAGES.map((stage) => night.stageSeconds[stage] ?? 0));
    }
    return true;
  }

  private mergeSummaryNight(user: string, n: SleepNight): boolean {
    const stages = SLEEP_STAGES.map((stage) => n.stageSeconds[stage] ?? 0);
    const held = this.db
      .query<Record<string, number>, [string, string, number]>(
        "SELECT end, deep, core, rem, awake, asleep, in_bed FROM night WHERE user = ? AND source = ? AND start = ?",
      )
      .get(user, n.source, n.start);
    if (held && held.end === n.end && SLEEP_STAGES.every((stage, i) => held[stage] === stages[i])) return false;
    // the same night re-sent with another start (HAE drops inBedStart at times, segments arrive late) replaces it
    this.db.query("DELETE FROM night WHERE user = ? AND source = ? AND kind = 'aggregate' AND start < ? AND end > ?").run(user, n.source, n.end, n.start);
    this.db
      .query("INSERT OR REPLACE INTO night (user, source, start, end, deep, core, rem, awake, asleep, in_bed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(user, n.source, n.start, n.end, ...stages);
    return true;
  }

  /** Merged by id: a later partial payload fills fields but never wipes them. */
  private mergeWorkout(user: string, w: Workout): boolean {
    const before = this.db.query<Record<string, unknown>, [string, string]>("SELECT * FROM workout WHERE user = ? AND id = ?").get(user, w.id);
    this.db
      .query(
        `INSERT INTO workout (user, id, type, name, start, end, duration_s, distance_km, energy_kcal, avg_hr, max_hr)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (user, id) DO UPDATE SET type = excluded.type, name = excluded.name, start = excluded.start, end = excluded.end,
           duration_s = excluded.duration_s, distance_km = COALESCE(excluded.distance_km, distance_km),
           energy_kcal = COALESCE(excluded.energy_kcal, energy_kcal), avg_hr = COALESCE(excluded.avg_hr, avg_hr),
           max_hr = COALESCE(excluded.max_hr, max_hr)`,
      )
      .run(
        user,
        w.id,
        this.boundedType(user, workoutType(w.name)),
        w.name.slice(0, 200),
        w.start,
        w.end,
        w.durationS,
        w.distanceKm ?? null,
        w.activeEnergyKcal ?? null,
        w.avgHeartRate ?? null,
        w.maxHeartRate ?? null,
      );
    const after = this.db.query<Record<string, unknown>, [string, string]>("SELECT * FROM workout WHERE user = ? AND id = ?").get(user, w.id);
    return JSON.stringify(before) !== JSON.stringify(after);
  }

  private boundedType(user: string, type: string): string {
    const known = this.db
      .query<{ type: string }, [string]>("SELECT DISTINCT type FROM workout WHERE user = ?")
      .all(user)
      .map((row) => row.type);
    return known.includes(type) || known.length < MAX_WORKOUT_TYPES ? type : "other";
  }

  /** Users with records not yet in the store. */
  pendingUsers(): string[] {
    return this.db
      .query<{ user: string }, []>("SELECT user FROM pending_records UNION SELECT DISTINCT user FROM gauge_point WHERE delivered = 0")
      .all()
      .map((row) => row.user);
  }

  update(user: string): RecordsUpdate {
    const gauges = this.db
      .query<GaugePoint, [string]>("SELECT name, unit, ts, value, revision FROM gauge_point WHERE user = ? AND delivered = 0 ORDER BY name, unit, ts")
      .all(user);
    const nights = this.db
      .query<Record<string, number> & { source: string; start: number; end: number }, [string]>("SELECT * FROM night WHERE user = ? ORDER BY end")
      .all(user)
      .map((row) => ({
        source: row.source,
        start: row.start,
        end: row.end,
        stageSeconds: Object.fromEntries(SLEEP_STAGES.map((stage) => [stage, row[stage] ?? 0])) as Record<SleepStage, number>,
      }));
    const workouts = this.db
      .query<
        { id: string; type: string; name: string; start: number; end: number; duration_s: number; distance_km: number | null; energy_kcal: number | null; avg_hr: number | null; max_hr: number | null },
        [string]
      >("SELECT * FROM workout WHERE user = ? ORDER BY end")
      .all(user)
      .map((row) => ({
        id: row.id,
        type: row.type,
        name: row.name,
        start: row.start,
        end: row.end,
        durationS: row.duration_s,
        distanceKm: row.distance_km,
        activeEnergyKcal: row.energy_kcal,
        avgHeartRate: row.avg_hr,
        maxHeartRate: row.max_hr,
      }));
    return { user, gauges, nights: onePerNight(nights), workouts: onePerWorkout(workouts) };
  }

  /** Marks what `update` returned as stored. */
  delivered(update: RecordsUpdate) {
    const mark = this.db.query("UPDATE gauge_point SET delivered = 1 WHERE user = ? AND name = ? AND ts = ? AND revision = ?");
    this.db.transaction(() => {
      for (const g of update.gauges) mark.run(update.user, g.name, g.ts, g.revision);
      this.db.query("DELETE FROM pending_records WHERE user = ?").run(update.user);
    })();
  }

  /** Marks one user's records for delivery again (the store may have lost them). */
  markUserPending(user: string) {
    this.db.query("UPDATE gauge_point SET delivered = 0 WHERE user = ?").run(user);
    this.db.query("INSERT OR IGNORE INTO pending_records (user) VALUES (?)").run(user);
  }

  /** Marks everything for delivery again (replay into a new store). */
  markAllPending() {
    this.db.exec("UPDATE gauge_point SET delivered = 0; INSERT OR IGNORE INTO pending_records (user) SELECT DISTINCT user FROM night UNION SELECT DISTINCT user FROM workout;");
  }

  reset() {
    this.db.exec("DELETE FROM gauge_sample; DELETE FROM gauge_point; DELETE FROM night; DELETE FROM sleep_segment; DELETE FROM workout; DELETE FROM pending_records;");
  }
}

/**
 * Two sources (a watch and a sleep app) often report the same night: counting both would double it. Of
 * nights that overlap, the one with the most staged sleep counts, then the most sleep, then the least source.
 */
export function onePerNight(nights: NightRecord[]): NightRecord[] {
  const staged = (n: NightRecord) => n.stageSeconds.deep + n.stageSeconds.core + n.stageSeconds.rem;
  const slept = (n: NightRecord) => staged(n) + n.stageSeconds.asleep;
  const better = (a: NightRecord, b: NightRecord) =>
    staged(a) !== staged(b) ? staged(a) > staged(b) : slept(a) !== slept(b) ? slept(a) > slept(b) : a.source < b.source;
  const kept: NightRecord[] = [];
  let cluster: NightRecord[] = [];
  let clusterEnd = -Infinity;
  const close = () => {
    if (cluster.length) kept.push(cluster.reduce((best, n) => (better(n, best) ? n : best)));
  };
  for (const night of nights.toSorted((a, b) => a.start - b.start || a.end - b.end)) {
    if (night.start >= clusterEnd) {
      close();
      cluster = [];
    }
    cluster.push(night);
    clusterEnd = Math.max(clusterEnd, night.end);
  }
  close();
  return kept.sort((a, b) => a.end - b.end);
}

/**
 * The webhook names a workout by HAE's id, the Health app's export by type and start: the same workout sent
 * both ways is one when type and start (to the second) agree. The one with more totals counts, then the
 * least id; its missing totals are filled from the other.
 */
export function onePerWorkout(workouts: WorkoutRecord[]): WorkoutRecord[] {
  const filled = (w: WorkoutRecord) => [w.distanceKm, w.activeEnergyKcal, w.avgHeartRate, w.maxHeartRate].filter((v) => v !== null).length;
  const kept = new Map<string, WorkoutRecord>();
  for (const w of workouts) {
    const key = `${w.type}@${w.start}`;
    const held = kept.get(key);
    if (!held) {
      kept.set(key, w);
      continue;
    }
    const [best, other] = filled(w) > filled(held) || (filled(w) === filled(held) && w.id < held.id) ? [w, held] : [held, w];
    kept.set(key, {
      ...best,
      distanceKm: best.distanceKm ?? other.distanceKm,
      activeEnergyKcal: best.activeEnergyKcal ?? other.activeEnergyKcal,
      avgHeartRate: best.avgHeartRate ?? other.avgHeartRate,
      maxHeartRate: best.maxHeartRate ?? other.maxHeartRate,
    });
  }
  return [...kept.values()].sort((a, b) => a.end - b.end);
}
