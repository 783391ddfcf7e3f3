// Gauges, nights and workouts held per user beside the heart-rate timeline: identity → latest value.
import type { Database } from "bun:sqlite";
import { NIGHT_GAP_S, nightsFromSegments } from "../normalize/hae-sleep";
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
  /** Gauge points whose value is new or changed since the last delivery, and every point of `movedSeries`. */
  gauges: GaugePoint[];
  /** Gauge series (metric, unit) a point moved out of: a store keying series by unit rewrites them whole. */
  movedSeries: { name: string; unit: string }[];
  /** All nights and all workouts when that family changed, else null (stores rebuild these series whole). */
  nights: NightRecord[] | null;
  workouts: WorkoutRecord[] | null;
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
      -- families ('sleep', 'workouts') changed since the last delivery; pending_records means all of them
      CREATE TABLE IF NOT EXISTS pending_family (user TEXT NOT NULL, family TEXT NOT NULL, PRIMARY KEY (user, family)) WITHOUT ROWID;
      -- each person's (metric, unit) pairs: bounds checked without scanning gauge_sample
      CREATE TABLE IF NOT EXISTS gauge_series (user TEXT NOT NULL, name TEXT NOT NULL, unit TEXT NOT NULL, PRIMARY KEY (user, name, unit)) WITHOUT ROWID;
      -- each person's workout types: the bound is checked without scanning their workouts
      CREATE TABLE IF NOT EXISTS workout_type (user TEXT NOT NULL, type TEXT NOT NULL, PRIMARY KEY (user, type)) WITHOUT ROWID;
      -- gauge series a point moved out of (its unit changed): the store drops and rewrites them
      CREATE TABLE IF NOT EXISTS gauge_moved (user TEXT NOT NULL, name TEXT NOT NULL, unit TEXT NOT NULL, PRIMARY KEY (user, name, unit)) WITHOUT ROWID;
    `);
    // ledgers written before gauge_series and workout_type existed
    db.exec("INSERT OR IGNORE INTO gauge_series (user, name, unit) SELECT DISTINCT user, name, unit FROM gauge_sample WHERE NOT EXISTS (SELECT 1 FROM gauge_series)");
    db.exec("INSERT OR IGNORE INTO workout_type (user, type) SELECT DISTINCT user, type FROM workout WHERE NOT EXISTS (SELECT 1 FROM workout_type)");
    // ledgers written before nights had a kind
    if (!db.query<{ name: string }, []>("PRAGMA table_info(night)").all().some((c) => c.name === "kind")) {
      db.exec("ALTER TABLE night ADD COLUMN kind TEXT NOT NULL DEFAULT 'aggregate'");
    }
  }

  /**
   * Merges one payload's records; returns how many were new or changed, and how many gauge points were
   * dropped to keep a person's series bounded. Runs inside the ledger's transaction. Time is linear in the
   * payload (each record costs index lookups, never a scan of the person's history), so a caller may
   * split a big payload into chunks and merge them one after another.
   */
  merge(user: string, gauges: readonly GaugeSample[], nights: readonly SleepNight[], workouts: readonly Workout[]): { changed: number; dropped: number } {
    let changed = 0;
    let dropped = 0;
    const series = this.gaugeSeries(user);
    const addSeries = this.db.query("INSERT OR IGNORE INTO gauge_series (user, name, unit) VALUES (?, ?, ?)");
    for (const g of gauges) {
      const units = series.get(g.name);
      if (units ? !units.has(g.unit) && units.size >= MAX_UNITS_PER_METRIC : series.size >= MAX_GAUGE_METRICS) {
        dropped++;
        continue;
      }
      if (!units?.has(g.unit)) addSeries.run(user, g.name, g.unit);
      if (units) units.add(g.unit);
      else series.set(g.name, new Set([g.unit]));
      if (this.mergeGauge(user, g)) changed++;
    }
    let nightsChanged = this.mergeSegmentNights(user, nights.filter((n) => n.segments?.length));
    let longest = nights.length ? this.longestAggregateNight(user) : 0;
    for (const n of nights) {
      if (n.segments?.length) continue;
      longest = Math.max(longest, n.end - n.start);
      if (this.mergeSummaryNight(user, n, longest)) nightsChanged++;
    }
    let workoutsChanged = 0;
    const types = new Set(workouts.length ? this.db.query<{ type: string }, [string]>("SELECT type FROM workout_type WHERE user = ?").all(user).map((row) => row.type) : []);
    for (const w of workouts) if (this.mergeWorkout(user, w, types)) workoutsChanged++;
    const pending = this.db.query("INSERT OR IGNORE INTO pending_family (user, family) VALUES (?, ?)");
    if (nightsChanged) pending.run(user, "sleep");
    if (workoutsChanged) pending.run(user, "workouts");
    return { changed: changed + nightsChanged + workoutsChanged, dropped };
  }

  /** The person's gauge metrics and the units each has used. */
  private gaugeSeries(user: string): Map<string, Set<string>> {
    const series = new Map<string, Set<string>>();
    for (const { name, unit } of this.db.query<{ name: string; unit: string }, [string]>("SELECT name, unit FROM gauge_series WHERE user = ?").all(user)) {
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
    // a point that moves to another unit leaves its old point in the old unit's series: the store must drop it
    if (shown && shown.unit !== winner.unit) {
      this.db.query("INSERT OR IGNORE INTO gauge_moved (user, name, unit) VALUES (?, ?, ?)").run(user, g.name, shown.unit);
    }
    this.db
      .query("INSERT OR REPLACE INTO gauge_point (user, name, ts, unit, value, revision, delivered) VALUES (?, ?, ?, ?, ?, ?, 0)")
      .run(user, g.name, g.ts, winner.unit, winner.value, shown ? shown.revision + 1 : 0);
    return true;
  }

  /**
   * Adds per-segment nights' segments to each source's union and rebuilds only the nights the new segments
   * can join (nights are apart by at least NIGHT_GAP_S). Returns how many of the nights brought a new segment.
   */
  private mergeSegmentNights(user: string, nights: readonly SleepNight[]): number {
    const add = this.db.query("INSERT OR IGNORE INTO sleep_segment (user, source, start, end, stage) VALUES (?, ?, ?, ?, ?)");
    const added = new Map<string, SleepSegment[]>();
    let changed = 0;
    for (const n of nights) {
      let any = false;
      for (const seg of n.segments!) {
        if (!add.run(user, n.source, seg.start, seg.end, seg.stage).changes) continue;
        any = true;
        (added.get(n.source) ?? added.set(n.source, []).get(n.source)!).push(seg);
      }
      if (any) changed++;
    }
    for (const [source, segments] of added) {
      segments.sort((a, b) => a.start - b.start);
      // one rebuild per run of new segments closer than a night gap to each other
      let from = segments[0]!.start;
      let to = segments[0]!.end;
      for (const seg of segments) {
        if (seg.start - to >= NIGHT_GAP_S) {
          this.rebuildSegmentNights(user, source, from, to);
          from = seg.start;
          to = seg.end;
        }
        to = Math.max(to, seg.end);
      }
      this.rebuildSegmentNights(user, source, from, to);
    }
    return changed;
  }

  /** Rebuilds the source's segment nights from new segments spanning from..to and the held nights they join. */
  private rebuildSegmentNights(user: string, source: string, from: number, to: number) {
    let low = from;
    let high = to;
    // held nights are disjoint and ordered: walk back from the last one starting before to + gap
    const held = this.db
      .query<{ start: number; end: number }, [string, string, number]>(
        "SELECT start, end FROM night WHERE user = ? AND source = ? AND kind = 'segments' AND start < ? ORDER BY start DESC",
      )
      .iterate(user, source, to + NIGHT_GAP_S);
    for (const night of held) {
      if (night.end <= from - NIGHT_GAP_S) break;
      low = Math.min(low, night.start);
      high = Math.max(high, night.end);
    }
    this.db.query("DELETE FROM night WHERE user = ? AND source = ? AND kind = 'segments' AND start BETWEEN ? AND ?").run(user, source, low, high);
    const segments = this.db
      .query<SleepSegment, [string, string, number, number]>("SELECT start, end, stage FROM sleep_segment WHERE user = ? AND source = ? AND start BETWEEN ? AND ?")
      .all(user, source, low, high);
    const insert = this.db.query(
      "INSERT OR REPLACE INTO night (user, source, start, end, deep, core, rem, awake, asleep, in_bed, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'segments')",
    );
    for (const night of nightsFromSegments(source, segments)) {
      insert.run(user, source, night.start, night.end, ...SLEEP_STAGES.map((stage) => night.stageSeconds[stage] ?? 0));
    }
  }

  /** The longest aggregate night held: a night overlapping another starts at most this long before it. */
  private longestAggregateNight(user: string): number {
    return this.db.query<{ span: number | null }, [string]>("SELECT MAX(end - start) AS span FROM night WHERE user = ? AND kind = 'aggregate'").get(user)!.span ?? 0;
  }

  private mergeSummaryNight(user: string, n: SleepNight, longest: number): boolean {
    const stages = SLEEP_STAGES.map((stage) => n.stageSeconds[stage] ?? 0);
    const held = this.db
      .query<Record<string, number>, [string, string, number]>(
        "SELECT end, deep, core, rem, awake, asleep, in_bed FROM night WHERE user = ? AND source = ? AND start = ?",
      )
      .get(user, n.source, n.start);
    if (held && held.end === n.end && SLEEP_STAGES.every((stage, i) => held[stage] === stages[i])) return false;
    // the same night re-sent with another start (HAE drops inBedStart at times, segments arrive late) replaces it;
    // the lower bound on start keeps this an index range instead of a scan of every earlier night
    this.db
      .query("DELETE FROM night WHERE user = ? AND source = ? AND kind = 'aggregate' AND start >= ? AND start < ? AND end > ?")
      .run(user, n.source, n.start - longest, n.end, n.start);
    this.db
      .query("INSERT OR REPLACE INTO night (user, source, start, end, deep, core, rem, awake, asleep, in_bed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(user, n.source, n.start, n.end, ...stages);
    return true;
  }

  /**
   * Merged by id: a later partial payload fills fields but never wipes them. `types` are the person's workout
   * types so far. The upsert's WHERE skips a row nothing would change, so its change count says whether it changed.
   */
  private mergeWorkout(user: string, w: Workout, types: Set<string>): boolean {
    let type = workoutType(w.name);
    if (!types.has(type)) {
      if (types.size >= MAX_WORKOUT_TYPES) type = "other";
      types.add(type);
      this.db.query("INSERT OR IGNORE INTO workout_type (user, type) VALUES (?, ?)").run(user, type);
    }
    const { changes } = this.db
      .query(
        `INSERT INTO workout AS w (user, id, type, name, start, end, duration_s, distance_km, energy_kcal, avg_hr, max_hr)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (user, id) DO UPDATE SET type = excluded.type, name = excluded.name, start = excluded.start, end = excluded.end,
           duration_s = excluded.duration_s, distance_km = COALESCE(excluded.distance_km, w.distance_km),
           energy_kcal = COALESCE(excluded.energy_kcal, w.energy_kcal), avg_hr = COALESCE(excluded.avg_hr, w.avg_hr),
           max_hr = COALESCE(excluded.max_hr, w.max_hr)
         WHERE (w.type, w.name, w.start, w.end, w.duration_s) IS NOT (excluded.type, excluded.name, excluded.start, excluded.end, excluded.duration_s)
           OR w.distance_km IS NOT COALESCE(excluded.distance_km, w.distance_km) OR w.energy_kcal IS NOT COALESCE(excluded.energy_kcal, w.energy_kcal)
           OR w.avg_hr IS NOT COALESCE(excluded.avg_hr, w.avg_hr) OR w.max_hr IS NOT COALESCE(excluded.max_hr, w.max_hr)`,
      )
      .run(
        user,
        w.id,
        type,
        w.name.slice(0, 200),
        w.start,
        w.end,
        w.durationS,
        w.distanceKm ?? null,
        w.activeEnergyKcal ?? null,
        w.avgHeartRate ?? null,
        w.maxHeartRate ?? null,
      );
    return changes > 0;
  }

  /** Users with records not yet in the store. */
  pendingUsers(): string[] {
    return this.db
      .query<{ user: string }, []>(
        "SELECT user FROM pending_records UNION SELECT user FROM pending_family UNION SELECT user FROM gauge_moved UNION SELECT DISTINCT user FROM gauge_point WHERE delivered = 0",
      )
      .all()
      .map((row) => row.user);
  }

  update(user: string): RecordsUpdate {
    const steps = this.updateSteps(user);
    let step = steps.next();
    while (!step.done) step = steps.next();
    return step.value;
  }

  /**
   * update() a few thousand rows at a time: it yields between them, so a delivery can give the event loop a turn
   * while a family of 100 k workouts is read (the ledger does not change meanwhile: the pipeline is serial).
   */
  *updateSteps(user: string): Generator<void, RecordsUpdate> {
    const movedSeries = this.db.query<{ name: string; unit: string }, [string]>("SELECT name, unit FROM gauge_moved WHERE user = ?").all(user);
    const gauges = this.db
      .query<GaugePoint, [string]>(
        `SELECT name, unit, ts, value, revision FROM gauge_point p WHERE user = ?1 AND (delivered = 0
           OR EXISTS (SELECT 1 FROM gauge_moved m WHERE m.user = ?1 AND m.name = p.name AND m.unit = p.unit)) ORDER BY name, unit, ts`,
      )
      .all(user);
    const all = this.db.query<{ n: number }, [string]>("SELECT COUNT(*) AS n FROM pending_records WHERE user = ?").get(user)!.n > 0;
    const families = new Set(this.db.query<{ family: string }, [string]>("SELECT family FROM pending_family WHERE user = ?").all(user).map((row) => row.family));
    const nights = !(all || families.has("sleep")) ? null : (yield* inSteps(this.db
      .query<Record<string, number> & { source: string; start: number; end: number }, [string]>("SELECT * FROM night WHERE user = ? ORDER BY end")
      .iterate(user), (row) => ({
        source: row.source,
        start: row.start,
        end: row.end,
        stageSeconds: Object.fromEntries(SLEEP_STAGES.map((stage) => [stage, row[stage] ?? 0])) as Record<SleepStage, number>,
      })));
    const workouts = !(all || families.has("workouts")) ? null : (yield* inSteps(this.db
      .query<
        { id: string; type: string; name: string; start: number; end: number; duration_s: number; distance_km: number | null; energy_kcal: number | null; avg_hr: number | null; max_hr: number | null },
        [string]
      >("SELECT * FROM workout WHERE user = ? ORDER BY end")
      .iterate(user), (row) => ({
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
      })));
    return { user, gauges, movedSeries, nights: nights && onePerNight(nights), workouts: workouts && onePerWorkout(workouts) };
  }

  /** Marks what `update` returned as stored. */
  delivered(update: RecordsUpdate) {
    const mark = this.db.query("UPDATE gauge_point SET delivered = 1 WHERE user = ? AND name = ? AND ts = ? AND revision = ?");
    this.db.transaction(() => {
      for (const g of update.gauges) mark.run(update.user, g.name, g.ts, g.revision);
      const moved = this.db.query("DELETE FROM gauge_moved WHERE user = ? AND name = ? AND unit = ?");
      for (const m of update.movedSeries) moved.run(update.user, m.name, m.unit);
      this.db.query("DELETE FROM pending_records WHERE user = ?").run(update.user);
      const family = this.db.query("DELETE FROM pending_family WHERE user = ? AND family = ?");
      if (update.nights) family.run(update.user, "sleep");
      if (update.workouts) family.run(update.user, "workouts");
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
    this.db.exec("DELETE FROM gauge_sample; DELETE FROM gauge_point; DELETE FROM night; DELETE FROM sleep_segment; DELETE FROM workout; DELETE FROM pending_records; DELETE FROM pending_family; DELETE FROM gauge_series; DELETE FROM gauge_moved; DELETE FROM workout_type;");
  }

  /** The user's earliest gauge point, night or workout start, or null. */
  firstInstant(user: string): number | null {
    return this.db
      .query<{ ts: number | null }, [string]>(
        "SELECT MIN(ts) AS ts FROM (SELECT MIN(ts) AS ts FROM gauge_point WHERE user = ?1 UNION ALL SELECT MIN(start) FROM night WHERE user = ?1 UNION ALL SELECT MIN(start) FROM workout WHERE user = ?1)",
      )
      .get(user)!.ts;
  }
}

/** Rows mapped one by one, pausing (yield) every few thousand. */
function* inSteps<R, T>(rows: Iterable<R>, map: (row: R) => T): Generator<void, T[]> {
  const out: T[] = [];
  for (const row of rows) {
    out.push(map(row));
    if (out.length % ROWS_PER_STEP === 0) yield;
  }
  return out;
}

/** Rows read between pauses of updateSteps: ~20 ms. */
const ROWS_PER_STEP = 10_000;

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
