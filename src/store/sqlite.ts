// The embedded store: bun:sqlite in DATA_DIR, so a fresh machine needs nothing else.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { ZoneRewrite } from "../ledger/ledger";
import { SLEEP_STAGES, type RecordsUpdate } from "../ledger/records";
import { HeartRateDayStore } from "./sqlite-days";
import { checkpoint, useWal } from "../wal";
import { migrateCreditRows } from "./sqlite-migrate";
import { DAILY_GAUGES, type DayValues, type DeviceReading, type HeartRatePoint, type LocalDay, type LostWrite, type Store, type StoreHealth, type Summary } from "./store";

const NIGHT_COLUMNS = "user, source, start, end, stages";
const WORKOUT_COLUMNS = "user, type, name, start, end, duration_s, distance_km, energy_kcal, avg_hr";
/** Family rows written or deleted between turns of the event loop: a few ms. */
const FAMILY_ROWS_PER_TURN = 5_000;
/** The current generation of a family (?1 = the user), 0 before any was recorded. */
const CURRENT = (family: "night" | "workout") => `COALESCE((SELECT gen FROM family_gen WHERE user = ?1 AND family = '${family}'), 0)`;
const afterTurn = () => new Promise((resolve) => setImmediate(resolve));

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  private readonly db: Database;
  private readonly heartRate: HeartRateDayStore;

  constructor(dataDir: string | ":memory:") {
    this.db = new Database(dataDir === ":memory:" ? ":memory:" : join(dataDir, "metrics.sqlite"), { create: true, strict: true });
    // a commit does not wait for the disk: a power cut may take the last ones, delivery numbers among them
    // (finishDelivery), and the next delivery, seeing an older number than the ledger's, delivers everything again
    useWal(this.db);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS gauge (
        user TEXT NOT NULL, name TEXT NOT NULL, ts INTEGER NOT NULL, unit TEXT NOT NULL, value REAL NOT NULL,
        PRIMARY KEY (user, name, ts)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS night (
        user TEXT NOT NULL, source TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, stages TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS family_gen (user TEXT NOT NULL, family TEXT NOT NULL, gen INTEGER NOT NULL, PRIMARY KEY (user, family)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS workout (
        user TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
        duration_s REAL NOT NULL, distance_km REAL, energy_kcal REAL, avg_hr REAL);
      CREATE TABLE IF NOT EXISTS delivery (one INTEGER PRIMARY KEY CHECK (one = 1), seq INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS device_reading (
        device TEXT NOT NULL, ts INTEGER NOT NULL, battery_volts REAL, percent_charged REAL, rssi_dbm REAL,
        PRIMARY KEY (device, ts)) WITHOUT ROWID;
    `);
    // nights and workouts carry the generation of the family write they belong to (see writeFamily)
    for (const table of ["night", "workout"]) {
      const columns = this.db.query<{ name: string }, []>(`PRAGMA table_info(${table})`).all().map((c) => c.name);
      if (!columns.includes("gen")) this.db.exec(`ALTER TABLE ${table} ADD COLUMN gen INTEGER NOT NULL DEFAULT 0`);
      this.db.exec(`DROP INDEX IF EXISTS ${table}_end; CREATE INDEX IF NOT EXISTS ${table}_gen_end ON ${table} (user, gen, end)`);
    }
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

  /** Written after the delivery's own commits: when it survives a power cut, so did they (WAL keeps a prefix). */
  async finishDelivery(_user: string, _firstTs: number | null, seq: number): Promise<void> {
    this.db.query("INSERT OR REPLACE INTO delivery (one, seq) VALUES (1, ?)").run(seq);
  }

  checkpoint() {
    checkpoint(this.db);
  }

  deliveredSeq(): number {
    return this.db.query<{ seq: number }, []>("SELECT seq FROM delivery").get()?.seq ?? 0;
  }

  /**
   * Nights and workouts are rewritten as whole families, each under a new generation: the new rows are written a
   * few thousand at a time (turns of the event loop between), invisible until one one-row transaction makes their
   * generation the current one, then the old rows go the same way. Readers see the old family or the new one,
   * never half of either, and 100 k workouts do not stall the server.
   */
  async writeRecords({ user, gauges, nights, workouts }: RecordsUpdate): Promise<void> {
    const gauge = this.db.query("INSERT OR REPLACE INTO gauge (user, name, ts, unit, value) VALUES (?, ?, ?, ?, ?)");
    this.db.transaction(() => {
      for (const g of gauges) gauge.run(user, g.name, g.ts, g.unit, g.value);
    })();
    if (nights) await this.writeFamily(user, "night", NIGHT_COLUMNS, nights.map((n) => [user, n.source, n.start, n.end, JSON.stringify(n.stageSeconds)]));
    if (workouts) {
      const rows = workouts.map((w) => [user, w.type, w.name, w.start, w.end, w.durationS, w.distanceKm, w.activeEnergyKcal, w.avgHeartRate]);
      await this.writeFamily(user, "workout", WORKOUT_COLUMNS, rows);
    }
  }

  private async writeFamily(user: string, table: "night" | "workout", columns: string, rows: unknown[][]) {
    const next = this.generation(user, table) + 1;
    // rows of an earlier write cut short at this generation would join it: gone first
    await this.deleteRows(table, "gen = ?", user, next);
    const insert = this.db.query(`INSERT INTO ${table} (${columns}, gen) VALUES (${columns.split(",").map(() => "?").join(", ")}, ?)`);
    for (let i = 0; i < rows.length; i += FAMILY_ROWS_PER_TURN) {
      if (i > 0) await afterTurn();
      this.db.transaction(() => {
        for (const row of rows.slice(i, i + FAMILY_ROWS_PER_TURN)) insert.run(...(row as never[]), next);
      })();
    }
    this.db.query("INSERT OR REPLACE INTO family_gen (user, family, gen) VALUES (?, ?, ?)").run(user, table, next);
    await this.deleteRows(table, "gen <> ?", user, next);
  }

  /** Deletes the user's rows matching `where` a few thousand at a time (turns between when there are more). */
  private async deleteRows(table: "night" | "workout", where: string, user: string, gen: number) {
    const remove = this.db.query(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE user = ? AND ${where} LIMIT ${FAMILY_ROWS_PER_TURN})`);
    while (remove.run(user, gen).changes === FAMILY_ROWS_PER_TURN) await afterTurn();
  }

  /** The generation of the user's family readers see (0 for rows written before generations). */
  private generation(user: string, family: "night" | "workout"): number {
    return this.db.query<{ gen: number }, [string, string]>("SELECT gen FROM family_gen WHERE user = ? AND family = ?").get(user, family)?.gen ?? 0;
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
           COALESCE(SUM(energy_kcal), 0) AS active_energy_kcal FROM workout WHERE user = ?1 AND gen = ${CURRENT("workout")} AND end > ?2 AND end <= ?3`,
      )
      .get(...range)!;
    const lastWorkout = this.db
      .query<{ type: string; name: string; start: number; end: number; duration_s: number; avg_hr: number | null }, [string, number, number]>(
        `SELECT type, name, start, end, duration_s, avg_hr FROM workout WHERE user = ?1 AND gen = ${CURRENT("workout")} AND end > ?2 AND end <= ?3 ORDER BY end DESC LIMIT 1`,
      )
      .get(...range);
    const lastNight = this.db
      .query<{ start: number; end: number; stages: string }, [string, number, number]>(
        `SELECT start, end, stages FROM night WHERE user = ?1 AND gen = ${CURRENT("night")} AND end > ?2 AND end <= ?3 ORDER BY end DESC, source LIMIT 1`,
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

  /** What a power cut took is found by deliveredSeq instead. */
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
      for (const table of ["gauge", "night", "workout", "family_gen"]) {
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
