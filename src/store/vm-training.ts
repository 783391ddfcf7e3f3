// VictoriaMetrics' daily training series, derived from what the store holds so Grafana shows what /api/load says:
// training_trimp/atl/ctl/tsb, training_week_moderate_minutes (the week so far), training_rhr_bpm and
// training_hrv_ms with their baseline bands, one point per local day stamped at the day's end (next midnight).
// A delivery that changed day D rewrites every day from D to today at a newer generation (stamps as in vm-lines.ts);
// past 999 generations the series are deleted and written whole at generation 0.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { addDays, mondayOf, startOfLocalDay } from "../trmnl/localTime";
import { localDate } from "../render/format";
import { historyStart, loadDays, localDays, type LoadDay, type LoadSettings } from "../load/report";
import { BASELINE_DAYS } from "../load/baselines";
import { loadCurve, trimp } from "../load/training";
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
    this.db.exec(`
      -- settings: the time zone and weights the series were written with (another value rewrites them whole)
      CREATE TABLE IF NOT EXISTS training_series (user TEXT PRIMARY KEY, generation INTEGER NOT NULL, settings TEXT NOT NULL DEFAULT '');
      -- the exact (unrounded) curves at each written day's end, so a rewrite from day D continues from D − 1
      CREATE TABLE IF NOT EXISTS training_curve (user TEXT NOT NULL, day_end INTEGER NOT NULL, atl REAL NOT NULL, ctl REAL NOT NULL,
        PRIMARY KEY (user, day_end)) WITHOUT ROWID;
    `);
  }

  noteChange(user: string, since: number) {
    this.changed.set(user, Math.min(this.changed.get(user) ?? Infinity, since));
  }

  /**
   * Rewrites the user's series from the local day of the earliest change to today. The curves continue from the
   * state held for the day before (the days read are then only the 60 the baselines need); without it, or with
   * other settings, they are computed from the person's first day, as /api/load does, with the same result.
   */
  async rewrite(user: string, firstTs: number | null) {
    const since = this.changed.get(user);
    if (since === undefined) return;
    const { timeZone, weights } = this.options.settings;
    const settings = JSON.stringify([timeZone, weights]);
    const today = localDate(this.options.clock().getTime() / 1000, timeZone);
    const changedDay = [localDate(since, timeZone), today].sort()[0]!;
    const held = this.db.query<{ generation: number; settings: string }, [string]>("SELECT generation, settings FROM training_series WHERE user = ?").get(user);
    const whole = !held || held.settings !== settings || held.generation + 1 > this.maxGeneration;
    const seed = whole
      ? null
      : this.db
          .query<{ atl: number; ctl: number }, [string, number]>("SELECT atl, ctl FROM training_curve WHERE user = ? AND day_end = ?")
          .get(user, startOfLocalDay(changedDay, timeZone));
    const start = seed ? addDays(changedDay, -BASELINE_DAYS) : historyStart(changedDay, firstTs, timeZone);
    const days = localDays(start, today, timeZone);
    const values = await this.daily(user, days);
    const load = loadDays(values, weights);
    // a whole rewrite starts at the first day with heart rate (or the changed day, if earlier)
    const firstDay = firstTs === null ? changedDay : localDate(firstTs, timeZone);
    const from = whole && firstDay < changedDay ? firstDay : changedDay;
    const first = days.findIndex((d) => d.date >= from);
    // the exact curves from `from` on, to continue from next time (loadDays' are rounded, and start from 0 at `start`)
    const trimps = values.map((v) => trimp(v.zone_seconds, weights));
    const curve = seed ? loadCurve(trimps.slice(first), seed) : loadCurve(trimps).slice(first);
    if (seed) curve.forEach((point, i) => Object.assign(load[first + i]!, { atl: round(point.atl), ctl: round(point.ctl), tsb: round(point.tsb) }));
    let generation = held && !whole ? held.generation + 1 : 0;
    if (held && whole) {
      // other stamps (time zone) or generations used up: start the series again
      await this.vm.flush();
      await this.vm.deleteSeries(`{__name__=~"${TRAINING_METRICS.join("|")}",user="${user}"}`);
      generation = 0;
    }
    // recorded before the write: a retried half-done write still gets a newer generation
    this.db.transaction(() => {
      this.db.query("INSERT OR REPLACE INTO training_series (user, generation, settings) VALUES (?, ?, ?)").run(user, generation, settings);
      if (whole) this.db.query("DELETE FROM training_curve WHERE user = ?").run(user);
      const save = this.db.query("INSERT OR REPLACE INTO training_curve (user, day_end, atl, ctl) VALUES (?, ?, ?, ?)");
      curve.forEach((point, i) => save.run(user, days[first + i]!.end, point.atl, point.ctl));
    })();
    const written = days.slice(first).map((day, i) => ({ end: day.end, load: load[first + i]! }));
    await this.vm.post(trainingLines(user, written, weekSoFar(load), generation));
    await this.vm.flush();
    await this.vm.resetCache();
    if (this.changed.get(user) === since) this.changed.delete(user);
  }

  forget(user: string) {
    this.changed.delete(user);
    this.db.query("DELETE FROM training_series WHERE user = ?").run(user);
    this.db.query("DELETE FROM training_curve WHERE user = ?").run(user);
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

const round = (n: number) => Math.round(n * 1000) / 1000;

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
