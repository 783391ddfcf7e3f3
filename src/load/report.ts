// GET /api/load's answer: per local day zone seconds, TRIMP, ATL/CTL/TSB and baselines; per Monday-based week minutes.
// The store gives per-day values (Store.daily); everything else is pure and computed here, for both stores alike.
import { localDate, zoneOffsetS } from "../render/format";
import type { DayValues, LocalDay, Store } from "../store/store";
import { addDays, mondayOf, startOfLocalDay } from "../trmnl/localTime";
import { emptyZoneSeconds, ZONES, type ZoneSeconds } from "../transform/zones";
import { BASELINE_DAYS, baselines, flag, type Baseline, type BaselineFlag } from "./baselines";
import { loadCurve, trimp } from "./training";
import { weekMinutes } from "./weekly";

export interface LoadSettings {
  timeZone: string;
  /** TRIMP weights for z1..z5. */
  weights: readonly number[];
  weeklyGoalMin: number;
}

export interface LoadDay {
  date: string;
  zone_seconds: ZoneSeconds;
  trimp: number;
  atl: number;
  ctl: number;
  tsb: number;
  rhr: number | null;
  rhr_baseline: Baseline | null;
  rhr_flag: BaselineFlag | null;
  hrv: number | null;
  hrv_baseline: Baseline | null;
  hrv_flag: BaselineFlag | null;
}

export interface LoadWeek {
  week_start: string;
  z2plus_min: number;
  moderate_eq_min: number;
  goal_min: number;
  trimp: number;
}

export interface LoadReport {
  user: string;
  days: LoadDay[];
  weeks: LoadWeek[];
}

/** The local days from `from` to `to` inclusive ("YYYY-MM-DD"), as instants. */
export function localDays(from: string, to: string, timeZone: string): LocalDay[] {
  const days: LocalDay[] = [];
  let start = startOfLocalDay(from, timeZone);
  let offset = zoneOffsetS(start, timeZone);
  for (let date = from; date <= to; ) {
    const next = addDays(date, 1);
    // one Intl call a day: a day that starts at its own wall-clock midnight and keeps its offset 24 h on ends 24 h on
    const nextOffset = zoneOffsetS(start + 86400, timeZone);
    const plain = nextOffset === offset && new Date((start + offset) * 1000).toISOString() === `${date}T00:00:00.000Z`;
    const end = plain ? start + 86400 : startOfLocalDay(next, timeZone);
    days.push({ date, start, end });
    [date, start, offset] = [next, end, plain ? offset : zoneOffsetS(end, timeZone)];
  }
  return days;
}

/**
 * The first day whose values the report for `from` needs: the curves start at the person's first day with heart
 * rate (or any day before it), the baselines look 60 days back, and the first week starts on a Monday.
 */
export function historyStart(from: string, firstTs: number | null, timeZone: string): string {
  const candidates = [addDays(from, -BASELINE_DAYS), mondayOf(from)];
  if (firstTs !== null) candidates.push(localDate(firstTs, timeZone));
  return candidates.reduce((a, b) => (a < b ? a : b));
}

/** Every day of `values` (consecutive days from a day up to the person's first heart rate) with its load and baselines. */
export function loadDays(values: readonly DayValues[], weights: readonly number[]): LoadDay[] {
  const curve = loadCurve(values.map((v) => trimp(v.zone_seconds, weights)));
  const rhrBaselines = baselines(values.map((v) => v.rhr));
  const hrvBaselines = baselines(values.map((v) => v.hrv));
  return values.map((v, i) => {
    const { trimp, atl, ctl, tsb } = curve[i]!;
    const [rhrBaseline, hrvBaseline] = [rhrBaselines[i]!, hrvBaselines[i]!];
    return {
      date: v.date,
      zone_seconds: v.zone_seconds,
      trimp: round(trimp),
      atl: round(atl),
      ctl: round(ctl),
      tsb: round(tsb),
      rhr: v.rhr,
      rhr_baseline: roundBaseline(rhrBaseline),
      rhr_flag: flag(v.rhr, rhrBaseline),
      hrv: v.hrv,
      hrv_baseline: roundBaseline(hrvBaseline),
      hrv_flag: flag(v.hrv, hrvBaseline),
    };
  });
}

/** Monday-based weeks of `days` (those up to the last day given count; a week may be partial). */
export function loadWeeks(days: readonly LoadDay[], weights: readonly number[], goalMin: number): LoadWeek[] {
  return [...Map.groupBy(days, (d) => mondayOf(d.date))].map(([weekStart, week]) => {
    const zoneSeconds = emptyZoneSeconds();
    for (const day of week) for (const zone of ZONES) zoneSeconds[zone] += day.zone_seconds[zone];
    const minutes = weekMinutes(zoneSeconds);
    return {
      week_start: weekStart,
      z2plus_min: round(minutes.z2plus),
      moderate_eq_min: round(minutes.moderateEq),
      goal_min: goalMin,
      trimp: round(trimp(zoneSeconds, weights)),
    };
  });
}

/** Reads the days the report needs from the store and computes it: days `from`..`to`, and every week they touch. */
export async function readLoad(store: Store, user: string, from: string, to: string, settings: LoadSettings, firstTs: number | null): Promise<LoadReport> {
  const start = historyStart(from, firstTs, settings.timeZone);
  const all = loadDays(await store.daily(user, localDays(start, to, settings.timeZone)), settings.weights);
  const weeks = loadWeeks(
    all.filter((d) => d.date >= mondayOf(from)),
    settings.weights,
    settings.weeklyGoalMin,
  );
  return { user, days: all.filter((d) => d.date >= from), weeks };
}

const round = (n: number) => Math.round(n * 1000) / 1000;
const roundBaseline = (b: Baseline | null) => (b ? { mean: round(b.mean), sd: round(b.sd) } : null);
