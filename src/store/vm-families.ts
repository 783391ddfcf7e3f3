// Nights and workouts as VictoriaMetrics series: counters credited at each one's end, plus per-item gauges.
// Pure: the caller decides instants, label values and the generation.
import { SLEEP_STAGES, type NightRecord, type WorkoutRecord } from "../ledger/records";
import { counterLines, firstAfter, seriesLines } from "./vm-lines";

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
 * A family's items by end, with the counter totals of the items before the last slice asked for: writeFamily asks
 * for slices of instants in order, so each slice costs its own items, not the whole family again (100 k workouts
 * in slices of 2,000 instants were quadratic).
 */
interface Running<T> {
  items: T[];
  ends: number[];
  labels: readonly string[];
  /** items[0, next) are counted in totals (per counter, per label value). */
  next: number;
  totals: number[][];
}

const runningOf = new WeakMap<readonly unknown[], Running<unknown>>();

function running<T extends { end: number }>(all: readonly T[], labels: readonly string[], counters: number, from: number): Running<T> {
  let held = runningOf.get(all) as Running<T> | undefined;
  const stale = !held || held.labels !== labels || (held.next > 0 && held.ends[held.next - 1]! >= from);
  if (stale) {
    const items = all.toSorted((a, b) => a.end - b.end);
    held = { items, ends: items.map((i) => i.end), labels, next: 0, totals: Array.from({ length: counters }, () => labels.map(() => 0)) };
    runningOf.set(all, held as Running<unknown>);
  }
  return held!;
}

/**
 * The items of a slice of instants and the counters' bases: every item ending before the slice is added to the
 * running totals (`amounts(item)` per counter: [label index, amount]), the slice's own items returned.
 */
function slice<T extends { end: number }>(all: readonly T[], instants: readonly number[], labels: readonly string[], amounts: ((item: T) => [number, number])[]) {
  const first = instants[0]!;
  const state = running(all, labels, amounts.length, first);
  const start = firstAfter(state.ends, first - 1);
  for (; state.next < start; state.next++) {
    const item = state.items[state.next]!;
    amounts.forEach((amount, c) => {
      const [label, value] = amount(item);
      // one non-finite amount would turn every later total into Infinity, a line VM rejects
      if (label >= 0 && Number.isFinite(value)) state.totals[c]![label]! += value;
    });
  }
  const inside = state.items.slice(start, firstAfter(state.ends, instants.at(-1)!));
  return { inside, bases: state.totals.map((totals) => [...totals]) };
}

/**
 * The family's lines at `instants` (a sorted slice of the instants it ever used): counters carry every credit up
 * to the slice's end (as a base plus the slice's own), per-night gauges only the nights that end inside it.
 */
export function sleepLines(user: string, allNights: readonly Night[], instants: number[], labelValues: string[], generation: number): string[] {
  const stageAmounts = labelValues.map((stage, label) => (n: Night): [number, number] => [label, n.stageSeconds[stage as (typeof SLEEP_STAGES)[number]] ?? 0]);
  const { inside: nights, bases } = slice(allNights, instants, labelValues, stageAmounts);
  const base = labelValues.map((_, label) => bases[label]![label]!);
  const credits = nights.flatMap((n) => SLEEP_STAGES.map((stage) => ({ ts: n.end, label: labelValues.indexOf(stage), amount: n.stageSeconds[stage] })));
  // one night per end instant for the per-night gauges (nights are sorted by end; the first wins)
  const perEnd = [...new Map(nights.toReversed().map((n) => [n.end, n] as const)).values()].sort((a, b) => a.end - b.end);
  const ends = perEnd.map((n) => n.end);
  return [
    ...counterLines({ metric: "sleep_stage_seconds_total", labels: { user }, labelKey: "stage", labelValues, base, instants, credits }, generation),
    ...seriesLines({ __name__: "sleep_start_timestamp_seconds", user }, ends, perEnd.map((n) => n.start), generation),
    ...seriesLines({ __name__: "sleep_end_timestamp_seconds", user }, ends, ends, generation),
    ...SLEEP_STAGES.flatMap((stage) =>
      seriesLines({ __name__: "sleep_night_stage_seconds", user, stage }, ends, perEnd.map((n) => n.stageSeconds[stage]), generation),
    ),
  ];
}

const WORKOUT_COUNTERS: [string, (w: Workout) => number][] = [
  ["workouts_total", () => 1],
  ["workout_distance_meters_total", (w) => (w.distanceKm ?? 0) * 1000],
  ["workout_duration_seconds_total", (w) => w.durationS],
  ["workout_active_energy_kcal_total", (w) => w.activeEnergyKcal ?? 0],
];

/** As sleepLines: counters with every credit up to the slice's end, per-workout gauges for those ending inside it. */
export function workoutLines(user: string, allWorkouts: readonly Workout[], instants: number[], labelValues: string[], generation: number): string[] {
  const labelOf = new Map(labelValues.map((value, i) => [value, i]));
  const amounts = WORKOUT_COUNTERS.map(([, amount]) => (w: Workout): [number, number] => [labelOf.get(w.type) ?? -1, amount(w)]);
  const { inside: workouts, bases } = slice(allWorkouts, instants, labelValues, amounts);
  const counters = WORKOUT_COUNTERS.flatMap(([metric, amount], c) =>
    counterLines(
      {
        metric,
        labels: { user },
        labelKey: "type",
        labelValues,
        base: bases[c]!,
        instants,
        credits: workouts.map((w) => ({ ts: w.end, label: labelOf.get(w.type) ?? -1, amount: amount(w) })),
      },
      generation,
    ),
  );
  const gauge = (metric: string, value: (w: Workout) => number | null) => {
    const withValue = workouts.filter((w) => value(w) !== null);
    return [...Map.groupBy(withValue, (w) => w.type)].flatMap(([type, list]) =>
      seriesLines({ __name__: metric, user, type }, list.map((w) => w.end), list.map((w) => value(w)!), generation),
    );
  };
  return [
    ...counters,
    ...gauge("workout_start_timestamp_seconds", (w) => w.start),
    ...gauge("workout_duration_seconds", (w) => w.durationS),
    ...gauge("workout_avg_heart_rate_bpm", (w) => w.avgHeartRate),
  ];
}
