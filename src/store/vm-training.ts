// VictoriaMetrics' daily training series, derived from what the store holds so Grafana shows what /api/load says:
// training_trimp/atl/ctl/tsb, training_week_moderate_minutes (the week so far), training_rhr_bpm and
// training_hrv_ms with their baseline bands, one point per local day stamped at the day's end (next midnight).
// A delivery that changed day D rewrites every day from D to today at a newer generation (stamps as in vm-lines.ts);
// past 999 generations the series are deleted and written whole at generation 0.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { mondayOf } from "../trmnl/localTime";
import { localDate } from "../render/format";
import { historyStart, loadDays, localDays, type LoadDay, type LoadSettings } from "../load/report";
import { weekMinutes } from "../load/weekly";
import { emptyZoneSeconds, ZONES } from "../transform/zones";
import type { DayValues, LocalDay } from "./store";
import type { VmClient } from "./vm-client";
import { MAX_REVISION, seriesLines } from "./vm-lines";

export const TRAINING_METRICS = [
  "training_trimp",
  "training_atl",
  "training_ctl",
  "training_tsb",
  "training_week_moderate_minutes",
  "training_rhr_bpm",
  "training_rhr_baseline_bpm",
  "training_hrv_ms",
  "training_hrv_baseline_ms",
];

export interface TrainingOptions {
  settings: LoadSettings;
  clock: () => Date;
}

export class VmTraining {
  private readonly db: Database;
  /** Earliest instant each user's pending delivery changed (a crash loses nothing: the ledger delivers again). */
  private readonly changed = new Map<string, number>();

  constructor(
    stateDir: string | ":memory:",
    private readonly vm: VmClient,
    private readonly daily: (user: string, days: readonly LocalDay[]) => Promise<DayValues[]>,
    private readonly options: TrainingOptions,
    private readonly maxGeneration = MAX_REVISION,
  ) {
    this.db = new Database(stateDir === ":memory:" ? ":memory:" : join(stateDir, "vm-training.sqlite"), { create: true, strict: true });
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
    this.db.exec("CREATE TABLE IF NOT EXISTS training_series (user TEXT PRIMARY KEY, generation INTEGER NOT NULL)");
  }

  noteChange(user: string, since: number) {
    this.changed.set(user, Math.min(this.changed.get(user) ?? Infinity, since));
  }

  /** Rewrites the user's series from the local day of the earliest change to today. */
  async rewrite(user: string, firstTs: number | null) {
    const since = this.changed.get(user);
    if (since === undefined) return;
    const { timeZone, weights } = this.options.settings;
    const today = localDate(this.options.clock().getTime() / 1000, timeZone);
    const changedDay = [localDate(since, timeZone), today].sort()[0]!;
    const start = historyStart(changedDay, firstTs, timeZone);
    const days = localDays(start, today, timeZone);
    const load = loadDays(await this.daily(user, days), weights);
    const held = this.db.query<{ generation: number }, [string]>("SELECT generation FROM training_series WHERE user = ?").get(user);
    let generation = held ? held.generation + 1 : 0;
    let from = changedDay;
    if (generation > this.maxGeneration) {
      await this.vm.flush();
      await this.vm.deleteSeries(`{__name__=~"${TRAINING_METRICS.join("|")}",user="${user}"}`);
      [generation, from] = [0, start];
    }
    // recorded before the write: a retried half-done write still gets a newer generation
    this.db.query("INSERT OR REPLACE INTO training_series (user, generation) VALUES (?, ?)").run(user, generation);
    const written = days.flatMap((day, i) => (day.date >= from ? [{ end: day.end, load: load[i]! }] : []));
    await this.vm.post(trainingLines(user, written, weekSoFar(load), generation));
    await this.vm.flush();
    await this.vm.resetCache();
    if (this.changed.get(user) === since) this.changed.delete(user);
  }

  forget(user: string) {
    this.changed.delete(user);
    this.db.query("DELETE FROM training_series WHERE user = ?").run(user);
  }

  close() {
    this.db.close();
  }
}

/** Moderate-equivalent minutes of each day's week up to and including that day. */
function weekSoFar(days: readonly LoadDay[]): Map<string, number> {
  const out = new Map<string, number>();
  let week = "";
  const total = emptyZoneSeconds();
  for (const day of days) {
    if (mondayOf(day.date) !== week) {
      week = mondayOf(day.date);
      for (const zone of ZONES) total[zone] = 0;
    }
    for (const zone of ZONES) total[zone] += day.zone_seconds[zone];
    out.set(day.date, Math.round(weekMinutes(total).moderateEq * 1000) / 1000);
  }
  return out;
}

/** mean ± sd, the edges of the "normal" band. */
const band = (b: LoadDay["rhr_baseline"], side: 1 | -1) => (b ? Math.round((b.mean + side * b.sd) * 1000) / 1000 : null);

function trainingLines(user: string, days: { end: number; load: LoadDay }[], week: Map<string, number>, generation: number): string[] {
  const series = (metric: Record<string, string>, pick: (d: LoadDay) => number | null | undefined) => {
    const points = days.flatMap((d) => {
      const value = pick(d.load);
      return value === null || value === undefined ? [] : [{ ts: d.end, value }];
    });
    return points.length ? seriesLines({ ...metric, user }, points.map((p) => p.ts), points.map((p) => p.value), generation) : [];
  };
  return [
    ...series({ __name__: "training_trimp" }, (d) => d.trimp),
    ...series({ __name__: "training_atl" }, (d) => d.atl),
    ...series({ __name__: "training_ctl" }, (d) => d.ctl),
    ...series({ __name__: "training_tsb" }, (d) => d.tsb),
    ...series({ __name__: "training_week_moderate_minutes" }, (d) => week.get(d.date)),
    ...series({ __name__: "training_rhr_bpm" }, (d) => d.rhr),
    ...series({ __name__: "training_rhr_baseline_bpm", bound: "low" }, (d) => band(d.rhr_baseline, -1)),
    ...series({ __name__: "training_rhr_baseline_bpm", bound: "high" }, (d) => band(d.rhr_baseline, 1)),
    ...series({ __name__: "training_hrv_ms" }, (d) => d.hrv),
    ...series({ __name__: "training_hrv_baseline_ms", bound: "low" }, (d) => band(d.hrv_baseline, -1)),
    ...series({ __name__: "training_hrv_baseline_ms", bound: "high" }, (d) => band(d.hrv_baseline, 1)),
  ];
}
