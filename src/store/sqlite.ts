// The embedded store: bun:sqlite in DATA_DIR, so a fresh machine needs nothing else.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { ZoneRewrite } from "../ledger/ledger";
import { SLEEP_STAGES, type RecordsUpdate } from "../ledger/records";
import { HeartRateDayStore } from "./sqlite-days";
import { migrateCreditRows } from "./sqlite-migrate";
import { DAILY_GAUGES, type DayValues, type DeviceReading, type HeartRatePoint, type LocalDay, type LostWrite, type Store, type StoreHealth, type Summary } from "./store";

const NIGHT_COLUMNS = "user, source, start, end, stages";
const WORKOUT_COLUMNS = "user, type, name, start, end, duration_s, distance_km, energy_kcal, avg_hr";
/** Families bigger than this are staged (see writeRecords); ~5,000 rows are a few ms to insert. */
const STAGE_ABOVE_ROWS = 5_000;
const STAGE_ROWS_PER_TURN = 5_000;

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  private readonly db: Database;
  private readonly heartRate: HeartRateDayStore;

  constructor(dataDir: string | ":memory:") {
    this.db = new Database(dataDir === ":memory:" ? ":memory:" : join(dataDir, "metrics.sqlite"), { create: true, strict: true });
    // FULL: a write is on disk before the ledger marks it delivered, so a power cut cannot leave the store behind
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS gauge (
        user TEXT NOT NULL, name TEXT NOT NULL, ts INTEGER NOT NULL, unit TEXT NOT NULL, value REAL NOT NULL,
        PRIMARY KEY (user, name, ts)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS night (
        user TEXT NOT NULL, source TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, stages TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS night_end ON night (user, end);
      CREATE TABLE IF NOT EXISTS workout (
        user TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
        duration_s REAL NOT NULL, distance_km REAL, energy_kcal REAL, avg_hr REAL);
      CREATE INDEX IF NOT EXISTS workout_end ON workout (user, end);
      CREATE TABLE IF NOT EXISTS device_reading (
        device TEXT NOT NULL, ts INTEGER NOT NULL, battery_volts REAL, percent_charged REAL, rssi_dbm REAL,
        PRIMARY KEY (device, ts)) WITHOUT ROWID;
    `);
    this.heartRate = new HeartRateDayStore(this.db);
    migrateCreditRows(this.db, this.heartRate);
  }

  async writeZones(rewrite: ZoneRewrite): Promise<void> {
    try {
      this.db.transaction(() => this.heartRate.replaceFrom(rewrite.user, rewrite.since, rewrite.credits))();
    } catch (err) {
      this.heartRate.loadIds();
      throw err;
    }
  }

  /**
   * Nights and workouts are rewritten as whole families. A big family is first staged in temporary tables a
   * few thousand rows at a time with turns of the event loop between, then swapped in by one short transaction,
   * so a reader never sees half a family and 100 k workouts do not stall the server.
   */
  async writeRecords({ user, gauges, nights, workouts }: RecordsUpdate): Promise<void> {
    const nightRow = (n: NonNullable<RecordsUpdate["nights"]>[number]) => [user, n.source, n.start, n.end, JSON.stringify(n.stageSeconds)] as const;
    const workoutRow = (w: NonNullable<RecordsUpdate["workouts"]>[number]) =>
      [user, w.type, w.name, w.start, w.end, w.durationS, w.distanceKm, w.activeEnergyKcal, w.avgHeartRate] as const;
    const staged = (nights?.length ?? 0) + (workouts?.length ?? 0) > STAGE_ABOVE_ROWS;
    if (staged) {
      this.db.exec(`
        CREATE TEMP TABLE IF NOT EXISTS night_next AS SELECT * FROM main.night WHERE 0;
        CREATE TEMP TABLE IF NOT EXISTS workout_next AS SELECT * FROM main.workout WHERE 0;
        DELETE FROM temp.night_next; DELETE FROM temp.workout_next;
      `);
      await this.stage("temp.night_next", NIGHT_COLUMNS, (nights ?? []).map(nightRow));
      await this.stage("temp.workout_next", WORKOUT_COLUMNS, (workouts ?? []).map(workoutRow));
    }
    const gauge = this.db.query("INSERT OR REPLACE INTO gauge (user, name, ts, unit, value) VALUES (?, ?, ?, ?, ?)");
    this.db.transaction(() => {
      for (const g of gauges) gauge.run(user, g.name, g.ts, g.unit, g.value);
      if (nights) {
        this.db.query("DELETE FROM night WHERE user = ?").run(user);
        if (staged) this.db.exec(`INSERT INTO main.night (${NIGHT_COLUMNS}) SELECT ${NIGHT_COLUMNS} FROM temp.night_next`);
        else this.insert("main.night", NIGHT_COLUMNS, nights.map(nightRow));
      }
      if (workouts) {
        this.db.query("DELETE FROM workout WHERE user = ?").run(user);
        if (staged) this.db.exec(`INSERT INTO main.workout (${WORKOUT_COLUMNS}) SELECT ${WORKOUT_COLUMNS} FROM temp.workout_next`);
        else this.insert("main.workout", WORKOUT_COLUMNS, workouts.map(workoutRow));
      }
    })();
    if (staged) this.db.exec("DELETE FROM temp.night_next; DELETE FROM temp.workout_next;");
  }

  private insert(table: string, columns: string, rows: readonly (readonly unknown[])[]) {
    const statement = this.db.query(`INSERT INTO ${table} (${columns}) VALUES (${columns.split(",").map(() => "?").join(", ")})`);
    for (const row of rows) statement.run(...(row as never[]));
  }

  private async stage(table: string, columns: string, rows: readonly (readonly unknown[])[]) {
    for (let i = 0; i < rows.length; i += STAGE_ROWS_PER_TURN) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      this.db.transaction(() => this.insert(table, columns, rows.slice(i, i + STAGE_ROWS_PER_TURN)))();
    }
  }

  async summary(user: string, from: number, to: number): Promise<Summary> {
    const zoneSeconds = this.heartRate.zoneSeconds(user, from, to);
    const range = [user, from, to] as [string, number, number];
    const lastHeartRate = this.heartRate.lastHeartRate(user, from, to);
    const resting = this.db
      .query<{ ts: number; bpm: number }, [string, number, number]>(
        "SELECT ts, value AS bpm FROM gauge WHERE user = ? AND name = 'hae_resting_heart_rate' AND ts > ? AND ts <= ? ORDER BY ts DESC LIMIT 1",
      )
      .get(...range);
    const totals = this.db
      .query<{ count: number; distance_m: number; duration_s: number; active_energy_kcal: number }, [string, number, number]>(
        `SELECT COUNT(*) AS count, COALESCE(SUM(distance_km), 0) * 1000 AS distance_m, COALESCE(SUM(duration_s), 0) AS duration_s,
           COALESCE(SUM(energy_kcal), 0) AS active_energy_kcal FROM workout WHERE user = ? AND end > ? AND end <= ?`,
      )
      .get(...range)!;
    const lastWorkout = this.db
      .query<{ type: string; name: string; start: number; end: number; duration_s: number; avg_hr: number | null }, [string, number, number]>(
        "SELECT type, name, start, end, duration_s, avg_hr FROM workout WHERE user = ? AND end > ? AND end <= ? ORDER BY end DESC LIMIT 1",
      )
      .get(...range);
    const lastNight = this.db
      .query<{ start: number; end: number; stages: string }, [string, number, number]>(
        "SELECT start, end, stages FROM night WHERE user = ? AND end > ? AND end <= ? ORDER BY end DESC, source LIMIT 1",
      )
      .get(...range);
    return {
      user,
      from,
      to,
      zone_seconds: zoneSeconds,
      last_heart_rate: lastHeartRate ?? null,
      resting_heart_rate: resting ?? null,
      // rounded as the VictoriaMetrics store rounds, so both stores answer alike
      workouts: {
        count: totals.count,
        distance_m: round(totals.distance_m),
        duration_s: round(totals.duration_s),
        active_energy_kcal: round(totals.active_energy_kcal),
      },
      last_workout: lastWorkout
        ? { type: lastWorkout.type, name: lastWorkout.name, start: lastWorkout.start, end: lastWorkout.end, duration_s: lastWorkout.duration_s, avg_heart_rate: lastWorkout.avg_hr }
        : null,
      last_sleep: lastNight ? { start: lastNight.start, end: lastNight.end, stage_seconds: stagesOf(JSON.parse(lastNight.stages)) } : null,
    };
  }

  async daily(user: string, days: readonly LocalDay[]): Promise<DayValues[]> {
    if (!days.length) return [];
    const gauge = this.db.query<{ ts: number; value: number }, [string, string, number, number]>(
      "SELECT ts, value FROM gauge WHERE user = ? AND name = ? AND ts >= ? AND ts < ? ORDER BY ts",
    );
    const range = [days[0]!.start, days.at(-1)!.end] as const;
    const means = (name: string) => dailyMeans(days, gauge.all(user, name, ...range));
    const [rhr, hrv] = [means(DAILY_GAUGES.rhr), means(DAILY_GAUGES.hrv)];
    return days.map((day, i) => {
      // the day store sums from < ts <= to: a local day start <= ts < end is (start − 1, end − 1]
      const sums = this.heartRate.zoneSeconds(user, day.start - 1, day.end - 1);
      const zoneSeconds = { z1: round(sums.z1), z2: round(sums.z2), z3: round(sums.z3), z4: round(sums.z4), z5: round(sums.z5) };
      return { date: day.date, zone_seconds: zoneSeconds, rhr: rhr[i]!, hrv: hrv[i]! };
    });
  }

  async heartRateSeries(user: string, from: number, to: number, stepS: number): Promise<HeartRatePoint[]> {
    return this.heartRate.series(user, from, to, Math.max(1, Math.floor(stepS)));
  }

  async writeDeviceReading(r: DeviceReading): Promise<void> {
    this.db
      .query("INSERT OR REPLACE INTO device_reading (device, ts, battery_volts, percent_charged, rssi_dbm) VALUES (?, ?, ?, ?, ?)")
      .run(r.device, r.ts, r.batteryVolts, r.percentCharged, r.rssiDbm);
  }

  async deviceReadings(): Promise<DeviceReading[]> {
    // each field's latest non-null value, as VictoriaMetrics' last_over_time answers for a series not written every time
    const latest = (column: string) => `(SELECT ${column} FROM device_reading r WHERE r.device = d.device AND ${column} IS NOT NULL ORDER BY ts DESC LIMIT 1)`;
    return this.db
      .query<DeviceReading, []>(
        `SELECT device, MAX(ts) AS ts, ${latest("battery_volts")} AS batteryVolts, ${latest("percent_charged")} AS percentCharged,
           ${latest("rssi_dbm")} AS rssiDbm FROM device_reading d GROUP BY device ORDER BY device`,
      )
      .all();
  }

  /** SQLite has committed (WAL) before writeZones/writeRecords return. */
  async lostWrites(): Promise<LostWrite[]> {
    return [];
  }

  async health(): Promise<StoreHealth> {
    try {
      this.db.query("SELECT 1").get();
      return { kind: this.kind, reachable: true };
    } catch (err) {
      return { kind: this.kind, reachable: false, detail: (err as Error).message };
    }
  }

  async clear(users: string[]): Promise<void> {
    for (const user of users) {
      this.heartRate.clear(user);
      for (const table of ["gauge", "night", "workout"]) {
        this.db.query(`DELETE FROM ${table} WHERE user = ?`).run(user);
      }
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The mean of the points in each day (sorted points, contiguous days), rounded like the VM store's. */
function dailyMeans(days: readonly LocalDay[], points: readonly { ts: number; value: number }[]): (number | null)[] {
  let next = 0;
  return days.map((day) => {
    let sum = 0;
    let count = 0;
    while (next < points.length && points[next]!.ts < day.end) {
      sum += points[next++]!.value;
      count++;
    }
    return count ? round(sum / count) : null;
  });
}

function stagesOf(stages: Record<string, number>) {
  return Object.fromEntries(SLEEP_STAGES.filter((stage) => stage in stages).map((stage) => [stage, stages[stage]!]));
}
