// Store summaries → DashboardData. Which ranges to ask for and how to combine the answers are pure; loadDashboardData does the asking.
import type { DashboardData, MonthDay, ZoneSeconds } from "../render/dashboard";
import type { HeartRatePoint, Store, Summary } from "../store/store";
import { addDays, lastLocalDates, localDayRange, mondayOf, startOfLocalDay } from "./localTime";

/** 24 h in 5-minute steps: 288 points at most, about one per two chart pixels. */
export const HEART_RATE_STEP_S = 300;
/** How far back the last workout, last night and resting rate are looked for. */
export const RECENT_DAYS = 30;
/** Days the large (X-class) canvas shows as four weeks of bars. */
export const MONTH_DAYS = 28;

export interface DashboardQueries {
  /** The last seven (or MONTH_DAYS) local days, oldest first, as `from < ts <= to` ranges. */
  days: { date: string; from: number; to: number }[];
  /** Monday of this local week, as a date. */
  weekStart: string;
  /** Last workout, last night and resting rate: the last RECENT_DAYS local days. */
  recent: { from: number; to: number };
  heartRate: { from: number; to: number; stepS: number };
}

/**
 * The ranges a dashboard at `now` needs. Every range ends on a boundary that does not move with `now`: the
 * end of today, or for the heart-rate day the step after the last sync, so polls between syncs read the same
 * data and the image is not redrawn.
 */
export function dashboardQueries(now: number, timeZone: string, lastSync: number | null, dayCount = 7): DashboardQueries {
  const dates = lastLocalDates(now, timeZone, dayCount);
  const days = dates.map((date) => localDayRange(date, timeZone));
  const today = days.at(-1)!;
  const end = Math.ceil(Math.min(lastSync ?? now, now) / HEART_RATE_STEP_S) * HEART_RATE_STEP_S;
  return {
    days,
    weekStart: mondayOf(today.date),
    recent: { from: startOfLocalDay(addDays(today.date, 1 - RECENT_DAYS), timeZone) - 1, to: today.to },
    heartRate: { from: end - 86400, to: end, stepS: HEART_RATE_STEP_S },
  };
}

export interface DashboardAnswers {
  now: number;
  lastSync: number | null;
  weekStart: string;
  /** One summary per local day of DashboardQueries.days, oldest first; more than seven fill `month`. */
  days: { date: string; summary: Summary }[];
  /** Overrides the week total (the `render --from` range); otherwise it is the sum of the days since Monday. */
  week?: Summary;
  recent: Summary;
  heartRate: HeartRatePoint[];
  zoneBoundsBpm?: number[];
}

const ZERO: ZoneSeconds = { z1: 0, z2: 0, z3: 0, z4: 0, z5: 0 };
const addZones = (a: ZoneSeconds, b: ZoneSeconds): ZoneSeconds => ({ z1: a.z1 + b.z1, z2: a.z2 + b.z2, z3: a.z3 + b.z3, z4: a.z4 + b.z4, z5: a.z5 + b.z5 });

export function assembleDashboard(answers: DashboardAnswers): DashboardData {
  const { recent } = answers;
  const week = answers.week?.zone_seconds ?? answers.days.filter((d) => d.date >= answers.weekStart).reduce((sum, d) => addZones(sum, d.summary.zone_seconds), ZERO);
  const month: MonthDay[] = answers.days.map((d) => ({ date: d.date, zoneSeconds: { ...ZERO, ...d.summary.zone_seconds }, restingHr: d.summary.resting_heart_rate?.bpm ?? null }));
  const workout = recent.last_workout;
  const sleep = recent.last_sleep;
  const stages = sleep?.stage_seconds ?? {};
  return {
    now: answers.now,
    lastSync: answers.lastSync,
    week: { ...ZERO, ...week },
    days: month.slice(-7).map(({ date, zoneSeconds }) => ({ date, zoneSeconds })),
    heartRate24h: answers.heartRate.toSorted((a, b) => a.ts - b.ts),
    restingHr: recent.resting_heart_rate?.bpm ?? null,
    lastWorkout: workout
      ? { name: workout.name || workout.type, start: workout.start, durationS: workout.duration_s, ...(workout.avg_heart_rate === null ? {} : { avgHr: workout.avg_heart_rate }) }
      : null,
    lastSleep: sleep
      ? {
          start: sleep.start,
          end: sleep.end,
          // time asleep: every sleep stage, not awake or in bed
          asleepS: (stages.deep ?? 0) + (stages.core ?? 0) + (stages.rem ?? 0) + (stages.asleep ?? 0),
          ...(stages.deep === undefined ? {} : { deepS: stages.deep }),
          ...(stages.rem === undefined ? {} : { remS: stages.rem }),
        }
      : null,
    ...(month.length > 7 ? { month } : {}),
    ...(answers.zoneBoundsBpm ? { zoneBoundsBpm: answers.zoneBoundsBpm } : {}),
  };
}

/** Reads what the dashboard at `now` shows, through the same Store.summary as /api/summary (SQLite or VictoriaMetrics). */
export async function loadDashboardData(
  store: Store,
  user: string,
  lastSync: number | null,
  now: number,
  timeZone: string,
  weekFrom?: number,
  /** The large canvas: four weeks of days and the user's zone bounds. */
  large?: { zoneBoundsBpm?: number[] },
): Promise<DashboardData> {
  const q = dashboardQueries(now, timeZone, lastSync, large ? MONTH_DAYS : 7);
  const [days, recent, heartRate, week] = await Promise.all([
    Promise.all(q.days.map(async (d) => ({ date: d.date, summary: await store.summary(user, d.from, d.to) }))),
    store.summary(user, q.recent.from, q.recent.to),
    store.heartRateSeries(user, q.heartRate.from, q.heartRate.to, q.heartRate.stepS),
    weekFrom === undefined ? undefined : store.summary(user, weekFrom, now),
  ]);
  return assembleDashboard({ now, lastSync, weekStart: q.weekStart, days, week, recent, heartRate, zoneBoundsBpm: large?.zoneBoundsBpm });
}
