// VictoriaMetrics store. Zone seconds are a cumulative counter per zone, exact under VM's increase():
//  - points sit at every timeline instant for all five zones (plus a "pre-point" one second before an
//    instant that follows a gap > 60 s), so increase() always finds a baseline: VM looks back only window+5m;
//  - counters start at COUNTER_BASE (1e9), so VM's first-sample heuristic (#962/#3079) always treats a window's
//    first point as a baseline: every first point without a baseline is a pre-point or the first instant
//    ever, whose value repeats the total before it, so dropping it loses nothing;
//  - a late sample changes every later total, so the tail is rewritten; VM never overwrites a sample, but
//    with -dedup.minScrapeInterval=1s it keeps the largest timestamp of each second (buckets are (s-1, s]),
//    so a rewrite stamps its points at s*1000 - 999 + generation and the newest generation wins.
// Nights and workouts are counters of the same kind, rebuilt whole (they are few) on every change.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { ZoneRewrite } from "../ledger/ledger";
import { SLEEP_STAGES, type RecordsUpdate } from "../ledger/records";
import { ZONES } from "../transform/zones";
import type { HeartRatePoint, LostWrite, Store, StoreHealth, Summary } from "./store";
import { counterLines, mergeSorted, prepointsFor, seriesLines, MAX_REVISION, type CounterCredit } from "./vm-lines";
import { VmReader } from "./vm-read";

/** A timeline instant further than this from its predecessor gets a pre-point (VM's lookback is >= 5 min). */
const PREPOINT_GAP_S = 60;
export const REQUIRED_DEDUP = "1s";
const INSTANTS_PER_POST = 50_000;
/** VM persists in-memory data every -inmemoryDataFlushInterval (5 s): a write younger than this may be lost in a crash. */
const DURABILITY_WINDOW_S = 30;

export const SLEEP_METRICS = ["sleep_stage_seconds_total", "sleep_start_timestamp_seconds", "sleep_end_timestamp_seconds", "sleep_night_stage_seconds"];
export const WORKOUT_METRICS = [
  "workouts_total",
  "workout_distance_meters_total",
  "workout_duration_seconds_total",
  "workout_active_energy_kcal_total",
  "workout_start_timestamp_seconds",
  "workout_duration_seconds",
  "workout_avg_heart_rate_bpm",
];
const ZONE_METRICS = ["zone_seconds_total", "heart_rate_bpm"];

export interface VmStoreOptions {
  writeUrl: string;
  readUrl: string;
  /** Directory for the writer's small state file (generations, pre-points, emitted instants). */
  stateDir: string | ":memory:";
  /** Tests lower this to exercise the compaction path. */
  maxGeneration?: number;
  timeoutMs?: number;
}

interface SeriesState {
  generation: number;
  lastEmitted: number;
}

export class VmStore implements Store {
  readonly kind = "victoriametrics" as const;
  private readonly state: Database;
  private readonly maxGeneration: number;
  private readonly reader: VmReader;

  constructor(private readonly options: VmStoreOptions) {
    const { stateDir } = options;
    this.state = new Database(stateDir === ":memory:" ? ":memory:" : join(stateDir, "vm-writer.sqlite"), { create: true, strict: true });
    this.state.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
    this.state.exec(`
      CREATE TABLE IF NOT EXISTS series (user TEXT PRIMARY KEY, generation INTEGER NOT NULL, last_emitted INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS prepoint (user TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (user, ts)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS family (user TEXT NOT NULL, family TEXT NOT NULL, generation INTEGER NOT NULL, labels TEXT NOT NULL,
        PRIMARY KEY (user, family)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS family_instant (user TEXT NOT NULL, family TEXT NOT NULL, ts INTEGER NOT NULL,
        PRIMARY KEY (user, family, ts)) WITHOUT ROWID;
      -- writes VM acknowledged but may still hold only in memory (it persists every few seconds)
      CREATE TABLE IF NOT EXISTS recent_write (user TEXT NOT NULL, zones_since INTEGER, records INTEGER NOT NULL, written_at REAL NOT NULL);
    `);
    this.maxGeneration = options.maxGeneration ?? MAX_REVISION;
    this.reader = new VmReader(options.readUrl, options.timeoutMs ?? 60_000);
  }

  async writeZones(rewrite: ZoneRewrite, history: () => ZoneRewrite): Promise<void> {
    const { user, since } = rewrite;
    const held = this.seriesState(user);
    const rewritesPast = held !== null && since <= held.lastEmitted;
    let generation = held ? held.generation + (rewritesPast ? 1 : 0) : 0;
    if (generation > this.maxGeneration) {
      await this.deleteSeries(user, ZONE_METRICS);
      this.state.query("DELETE FROM series WHERE user = ?").run(user);
      this.state.query("DELETE FROM prepoint WHERE user = ?").run(user);
      rewrite = history();
      generation = 0;
    }
    const instants = this.zoneInstants(rewrite);
    // recorded before writing: a half-done write retried later must still use a newer generation
    this.saveState(user, generation, Math.max(held?.lastEmitted ?? -1, instants.at(-1) ?? -1));
    // in slices, so a year-long rewrite never holds all its import lines at once
    const totals = ZONES.map((z) => rewrite.base[z]);
    let next = 0;
    for (let i = 0; i < instants.length; i += INSTANTS_PER_POST) {
      const slice = instants.slice(i, i + INSTANTS_PER_POST);
      const first = next;
      while (next < rewrite.credits.length && rewrite.credits[next]!.ts <= slice.at(-1)!) next++;
      const credits = rewrite.credits.slice(first, next);
      const lines = counterLines(
        {
          metric: "zone_seconds_total",
          labels: { user },
          labelKey: "zone",
          labelValues: ZONES,
          base: totals,
          instants: slice,
          credits: credits.map((c) => ({ ts: c.ts, label: c.zone, amount: c.seconds })),
        },
        generation,
      );
      lines.push(...seriesLines({ __name__: "heart_rate_bpm", user }, credits.map((c) => c.ts), credits.map((c) => c.bpm), generation));
      await this.reader.post(this.options.writeUrl, lines);
      for (const c of credits) totals[c.zone]! += c.seconds;
    }
    // searchable now rather than in a few seconds, so /api/summary and the e-ink screen reflect the sync
    await this.reader.flush(this.options.writeUrl);
    this.remember(user, rewrite.since, false);
    if (rewritesPast) await this.reader.resetCache();
  }

  /** Sorted instants to stamp: every credit at or after `since` and every pre-point from since-1 on. */
  private zoneInstants(rewrite: ZoneRewrite): number[] {
    const { user, since, credits } = rewrite;
    const timeline = credits.map((c) => c.ts);
    const addPrepoint = this.state.query("INSERT OR IGNORE INTO prepoint (user, ts) VALUES (?, ?)");
    this.state.transaction(() => {
      for (const ts of prepointsFor(timeline, rewrite.previousTs, PREPOINT_GAP_S)) addPrepoint.run(user, ts);
    })();
    const prepoints = this.state
      .query<{ ts: number }, [string, number]>("SELECT ts FROM prepoint WHERE user = ? AND ts >= ? ORDER BY ts")
      .all(user, since - 1)
      .map((row) => row.ts);
    return mergeSorted(timeline, prepoints);
  }

  private seriesState(user: string): SeriesState | null {
    const row = this.state
      .query<{ generation: number; last_emitted: number }, [string]>("SELECT generation, last_emitted FROM series WHERE user = ?")
      .get(user);
    return row ? { generation: row.generation, lastEmitted: row.last_emitted } : null;
  }

  private saveState(user: string, generation: number, lastEmitted: number) {
    this.state.query("INSERT OR REPLACE INTO series (user, generation, last_emitted) VALUES (?, ?, ?)").run(user, generation, lastEmitted);
  }

  async writeRecords({ user, gauges, nights, workouts }: RecordsUpdate): Promise<void> {
    const lines: string[] = [];
    const byMetric = Map.groupBy(gauges, (g) => `${g.name}\u0000${g.unit}`);
    for (const points of byMetric.values()) {
      const { name, unit } = points[0]!;
      lines.push(...seriesLines({ __name__: name, user, unit }, points.map((p) => p.ts), points.map((p) => p.value), points.map((p) => p.revision)));
    }
    await this.reader.post(this.options.writeUrl, lines);
    if (nights.length) await this.writeSleep(user, nights);
    if (workouts.length) await this.writeWorkouts(user, workouts);
    await this.reader.flush(this.options.writeUrl);
    this.remember(user, null, true);
  }

  private async writeSleep(user: string, nights: RecordsUpdate["nights"]) {
    const ends = nights.map((n) => n.end);
    // one night per end instant for the per-night gauges (nights are sorted by end; the first source wins)
    const perEnd = [...new Map(nights.toReversed().map((n) => [n.end, n] as const)).values()].sort((a, b) => a.end - b.end);
    await this.writeFamily(user, "sleep", SLEEP_METRICS, ends, SLEEP_STAGES, (instants, labelValues, generation) => {
      const credits = nights.flatMap((n) =>
        SLEEP_STAGES.map((stage) => ({ ts: n.end, label: labelValues.indexOf(stage), amount: n.stageSeconds[stage] })),
      );
      return [
      ...counterLines({ metric: "sleep_stage_seconds_total", labels: { user }, labelKey: "stage", labelValues, base: [], instants, credits }, generation),
      ...seriesLines({ __name__: "sleep_start_timestamp_seconds", user }, perEnd.map((n) => n.end), perEnd.map((n) => n.start), generation),
      ...seriesLines({ __name__: "sleep_end_timestamp_seconds", user }, perEnd.map((n) => n.end), perEnd.map((n) => n.end), generation),
      ...SLEEP_STAGES.flatMap((stage) =>
        seriesLines({ __name__: "sleep_night_stage_seconds", user, stage }, perEnd.map((n) => n.end), perEnd.map((n) => n.stageSeconds[stage]), generation),
      ),
      ];
    });
  }

  private async writeWorkouts(user: string, workouts: RecordsUpdate["workouts"]) {
    const types = [...new Set(workouts.map((w) => w.type))].sort();
    await this.writeFamily(user, "workouts", WORKOUT_METRICS, workouts.map((w) => w.end), types, (instants, labelValues, generation) => {
      const credit = (amount: (w: (typeof workouts)[number]) => number): CounterCredit[] =>
        workouts.map((w) => ({ ts: w.end, label: labelValues.indexOf(w.type), amount: amount(w) }));
      const counter = (metric: string, credits: CounterCredit[]) =>
        counterLines({ metric, labels: { user }, labelKey: "type", labelValues, base: [], instants, credits }, generation);
      const gauge = (metric: string, value: (w: (typeof workouts)[number]) => number | null) => {
        const withValue = workouts.filter((w) => value(w) !== null);
        return [...Map.groupBy(withValue, (w) => w.type)].flatMap(([type, list]) =>
          seriesLines({ __name__: metric, user, type }, list.map((w) => w.end), list.map((w) => value(w)!), generation),
        );
      };
      return [
        ...counter("workouts_total", credit(() => 1)),
        ...counter("workout_distance_meters_total", credit((w) => (w.distanceKm ?? 0) * 1000)),
        ...counter("workout_duration_seconds_total", credit((w) => w.durationS)),
        ...counter("workout_active_energy_kcal_total", credit((w) => w.activeEnergyKcal ?? 0)),
        ...gauge("workout_start_timestamp_seconds", (w) => w.start),
        ...gauge("workout_duration_seconds", (w) => w.durationS),
        ...gauge("workout_avg_heart_rate_bpm", (w) => w.avgHeartRate),
      ];
    });
  }

  /**
   * Rewrites a whole family of series at a new generation, at every instant it ever used (so no stale
   * point of an older generation survives) and with every label value it ever had.
   */
  private async writeFamily(
    user: string,
    family: string,
    metrics: string[],
    instantsNow: number[],
    labelsNow: readonly string[],
    build: (instants: number[], labelValues: string[], generation: number) => string[],
  ) {
    const held = this.state
      .query<{ generation: number; labels: string }, [string, string]>("SELECT generation, labels FROM family WHERE user = ? AND family = ?")
      .get(user, family);
    let generation = held ? held.generation + 1 : 0;
    let heldLabels: string[] = held ? JSON.parse(held.labels) : [];
    if (generation > this.maxGeneration) {
      await this.deleteSeries(user, metrics);
      this.state.query("DELETE FROM family_instant WHERE user = ? AND family = ?").run(user, family);
      generation = 0;
      heldLabels = [];
    }
    const sorted = mergeSorted(instantsNow);
    const heldInstants = this.state
      .query<{ ts: number }, [string, string]>("SELECT ts FROM family_instant WHERE user = ? AND family = ? ORDER BY ts")
      .all(user, family)
      .map((row) => row.ts);
    const instants = mergeSorted(heldInstants, sorted, prepointsFor(sorted, null, PREPOINT_GAP_S));
    const labelValues = mergeLabels(heldLabels, labelsNow);
    const addInstant = this.state.query("INSERT OR IGNORE INTO family_instant (user, family, ts) VALUES (?, ?, ?)");
    this.state.transaction(() => {
      for (const ts of instants) addInstant.run(user, family, ts);
      this.state
        .query("INSERT OR REPLACE INTO family (user, family, generation, labels) VALUES (?, ?, ?, ?)")
        .run(user, family, generation, JSON.stringify(labelValues));
    })();
    await this.reader.post(this.options.writeUrl, build(instants, labelValues, generation));
    await this.reader.resetCache();
  }

  /** Deletes a user's series (before a rebuild at generation 0). */
  private async deleteSeries(user: string, metrics: string[]) {
    // rows still in VM's in-memory buffers escape a delete and would come back: flush them first
    // (single node; a cluster's vmstorage nodes are not reachable through vminsert/vmselect)
    await this.reader.flush(this.options.writeUrl);
    await this.reader.deleteSeries(`{__name__=~"${metrics.join("|")}",user="${user}"}`);
  }

  private remember(user: string, zonesSince: number | null, records: boolean) {
    this.state.query("INSERT INTO recent_write (user, zones_since, records, written_at) VALUES (?, ?, ?, ?)").run(user, zonesSince, records ? 1 : 0, Date.now() / 1000);
  }

  /**
   * VM answers 204 before it persists (its in-memory parts reach disk every few seconds): if it restarted
   * since a write, that write may be gone. Returns what to deliver again; forgets writes that are safe.
   */
  async lostWrites(): Promise<LostWrite[]> {
    const started = await this.reader.startTime(this.options.writeUrl);
    if (started === null) return [];
    const now = Date.now() / 1000;
    const rows = this.state
      .query<{ rowid: number; user: string; zones_since: number | null; records: number; written_at: number }, []>(
        "SELECT rowid, user, zones_since, records, written_at FROM recent_write ORDER BY written_at",
      )
      .all();
    const lost = new Map<string, LostWrite>();
    const forget = this.state.query("DELETE FROM recent_write WHERE rowid = ?");
    for (const row of rows) {
      // VM states its start in whole seconds: a write in that same second counts as before it (a repeat is harmless)
      const beforeRestart = row.written_at < started + 1;
      if (beforeRestart && row.written_at >= started - DURABILITY_WINDOW_S) {
        const entry = lost.get(row.user) ?? { user: row.user, zonesSince: null, records: false };
        if (row.zones_since !== null) entry.zonesSince = Math.min(entry.zonesSince ?? Infinity, row.zones_since);
        entry.records ||= row.records === 1;
        lost.set(row.user, entry);
        forget.run(row.rowid);
      } else if (beforeRestart || now - row.written_at > DURABILITY_WINDOW_S) {
        forget.run(row.rowid);
      }
    }
    return [...lost.values()];
  }

  summary(user: string, from: number, to: number): Promise<Summary> {
    return this.reader.summary(user, from, to);
  }

  heartRateSeries(user: string, from: number, to: number, stepS: number): Promise<HeartRatePoint[]> {
    return this.reader.heartRateSeries(user, from, to, stepS);
  }

  /** Instant query at `time`, uncached. */
  query(expr: string, time: number) {
    return this.reader.query(expr, time);
  }

  async health(): Promise<StoreHealth> {
    try {
      const dedup = await this.dedupInterval();
      if (dedup !== null && dedup !== REQUIRED_DEDUP) {
        return { kind: this.kind, reachable: true, detail: `VictoriaMetrics runs with -dedup.minScrapeInterval=${dedup || "(unset)"}; fitstack needs ${REQUIRED_DEDUP}` };
      }
      await this.reader.ok(`${new URL(this.options.writeUrl).origin}/health`);
      return { kind: this.kind, reachable: true };
    } catch (err) {
      return { kind: this.kind, reachable: false, detail: (err as Error).message };
    }
  }

  /** The dedup flag as VM's /flags page states it ("" when unset), or null when the page isn't there. */
  dedupInterval(): Promise<string | null> {
    return this.reader.flag("dedup.minScrapeInterval");
  }

  /** -retentionPeriod as VM states it ("" when unset: one month), or null. */
  retention(): Promise<string | null> {
    return this.reader.flag("retentionPeriod");
  }

  async clear(users: string[]): Promise<void> {
    for (const user of users) {
      await this.deleteSeries(user, [...ZONE_METRICS, ...SLEEP_METRICS, ...WORKOUT_METRICS, "hae_.+"]);
      for (const table of ["series", "prepoint", "family", "family_instant"]) this.state.query(`DELETE FROM ${table} WHERE user = ?`).run(user);
    }
    await this.reader.resetCache();
  }

  async close(): Promise<void> {
    this.state.close();
  }
}

function mergeLabels(held: readonly string[], now: readonly string[]): string[] {
  return [...new Set([...held, ...now])].sort();
}
