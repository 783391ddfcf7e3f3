// Nights and workouts as VictoriaMetrics series: counters credited at each one's end, plus per-item gauges.
// Pure: the caller decides instants, label values and the generation.
import { SLEEP_STAGES, type NightRecord, type WorkoutRecord } from "../ledger/records";
import { counterLines, seriesLines, type CounterCredit } from "./vm-lines";

export const SLEEP_METRICS = ["sleep_stage_seconds_total", "sleep_start_timestamp_seconds", "sleep_end_timestamp_seconds", "sleep_night_stage_seconds"];
/** Series holding one point per night (at its end): a night that moves leaves a point VM must lose. */
export const SLEEP_ITEM_METRICS = ["sleep_start_timestamp_seconds", "sleep_end_timestamp_seconds", "sleep_night_stage_seconds"];
export const WORKOUT_ITEM_METRICS = ["workout_start_timestamp_seconds", "workout_duration_seconds", "workout_avg_heart_rate_bpm"];
export const WORKOUT_METRICS = [
  "workouts_total",
  "workout_distance_meters_total",
  "workout_duration_seconds_total",
  "workout_active_energy_kcal_total",
  "workout_start_timestamp_seconds",
  "workout_duration_seconds",
  "workout_avg_heart_rate_bpm",
];

type Night = NightRecord;
type Workout = WorkoutRecord;

/** The per-night gauge points sleepLines writes, as keys. */
export function sleepPoints(nights: readonly Night[]): Set<string> {
  return new Set(nights.map((n) => String(n.end)));
}

/** The per-workout gauge points workoutLines writes, as keys (series label + instant). */
export function workoutPoints(workouts: readonly Workout[]): Set<string> {
  const keys = new Set<string>();
  for (const w of workouts) {
    keys.add(`${w.type} ${w.end}`);
    if (w.avgHeartRate !== null) keys.add(`avg ${w.type} ${w.end}`);
  }
  return keys;
}

/**
 * The family's lines at `instants` (a sorted slice of the instants it ever used): counters carry every credit up
 * to the slice's end, per-night gauges only the nights that end inside it.
 */
export function sleepLines(user: string, allNights: readonly Night[], instants: number[], labelValues: string[], generation: number): string[] {
  const nights = allNights.filter((n) => n.end <= instants.at(-1)!);
  const credits = nights.flatMap((n) => SLEEP_STAGES.map((stage) => ({ ts: n.end, label: labelValues.indexOf(stage), amount: n.stageSeconds[stage] })));
  // one night per end instant for the per-night gauges (nights are sorted by end; the first wins)
  const perEnd = [...new Map(nights.toReversed().map((n) => [n.end, n] as const)).values()].filter((n) => n.end >= instants[0]!).sort((a, b) => a.end - b.end);
  const ends = perEnd.map((n) => n.end);
  return [
    ...counterLines({ metric: "sleep_stage_seconds_total", labels: { user }, labelKey: "stage", labelValues, base: [], instants, credits }, generation),
    ...seriesLines({ __name__: "sleep_start_timestamp_seconds", user }, ends, perEnd.map((n) => n.start), generation),
    ...seriesLines({ __name__: "sleep_end_timestamp_seconds", user }, ends, ends, generation),
    ...SLEEP_STAGES.flatMap((stage) =>
      seriesLines({ __name__: "sleep_night_stage_seconds", user, stage }, ends, perEnd.map((n) => n.stageSeconds[stage]), generation),
    ),
  ];
}

/** As sleepLines: counters with every credit up to the slice's end, per-workout gauges for those ending inside it. */
export function workoutLines(user: string, allWorkouts: readonly Workout[], instants: number[], labelValues: string[], generation: number): string[] {
  const workouts = allWorkouts.filter((w) => w.end <= instants.at(-1)!);
  const credit = (amount: (w: Workout) => number): CounterCredit[] =>
    workouts.map((w) => ({ ts: w.end, label: labelValues.indexOf(w.type), amount: amount(w) }));
  const counter = (metric: string, credits: CounterCredit[]) =>
    counterLines({ metric, labels: { user }, labelKey: "type", labelValues, base: [], instants, credits }, generation);
  const gauge = (metric: string, value: (w: Workout) => number | null) => {
    const withValue = workouts.filter((w) => w.end >= instants[0]! && value(w) !== null);
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
}
