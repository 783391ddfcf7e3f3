// Health Auto Export REST body → Normalized (pure: no I/O, no clock).
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { invalidPayload } from "../errors";
import { parseHaeDate, quoteValue } from "./dates";
import {
  assertMatches,
  HaeEnvelope,
  HaeGaugePoint,
  HaeHeartRatePoint,
  HaeSleepNightPoint,
  HaeSleepSegmentPoint,
  type HaeMetric,
  type HaeWorkout,
} from "./hae-model";
import type { GaugeSample, HeartRateSample, Normalized, SleepNight, SleepStage, Workout } from "./model";
import { distanceToKm, energyToKcal, normalizeUnit } from "./units";

const checkEnvelope = TypeCompiler.Compile(HaeEnvelope);
const checkHeartRatePoint = TypeCompiler.Compile(HaeHeartRatePoint);
const checkGaugePoint = TypeCompiler.Compile(HaeGaugePoint);
const checkSleepNightPoint = TypeCompiler.Compile(HaeSleepNightPoint);
const checkSleepSegmentPoint = TypeCompiler.Compile(HaeSleepSegmentPoint);

const HAE_KEYS = ["metrics", "workouts", "stateOfMind", "medications", "symptoms", "cycleTracking", "ecg", "heartRateNotifications"];

/** An object whose `data` is an object holding any HAE key, or an empty `data` object. */
export function isHaeShape(body: unknown): boolean {
  if (!isRecord(body) || !isRecord(body.data)) return false;
  const keys = Object.keys(body.data);
  return keys.length === 0 || keys.some((key) => HAE_KEYS.includes(key));
}

/** Throws invalidPayload (422) with the JSON path of the first bad value. */
export function normalizeHae(body: unknown): Normalized {
  if (!isHaeShape(body)) {
    throw invalidPayload('not a Health Auto Export body: expected {"data": {"metrics": [...], "workouts": [...], ...}}', "data");
  }
  assertMatches(checkEnvelope, body, "");
  const out: Normalized = { shape: "hae", heartRate: [], gauges: [], sleep: [], workouts: [], ignored: {} };
  for (const [key, value] of Object.entries(body.data)) {
    if (key === "metrics") body.data.metrics!.forEach((metric, i) => addMetric(out, metric, `data.metrics[${i}]`));
    else if (key === "workouts") body.data.workouts!.forEach((workout, i) => addWorkout(out, workout, `data.workouts[${i}]`));
    else if (value !== undefined && value !== null) countIgnored(out.ignored, key, Array.isArray(value) ? value.length : 1);
  }
  return out;
}

/** Lowercase `[a-z0-9_]` only, so a hostile name can never address a foreign metric. */
export function metricName(name: string): string {
  const clean = name.toLowerCase().replace(/[^a-z0-9_]/g, "_").slice(0, 100);
  return clean === "vo2max" ? "vo2_max" : clean;
}

function addMetric(out: Normalized, metric: HaeMetric, path: string): void {
  const name = metricName(metric.name);
  if (name === "heart_rate") {
    // the error path is only spelled out for a point that fails the fast check
    metric.data.forEach((point, i) => out.heartRate.push(plainHeartRateSample(point) ?? heartRateSample(point, `${path}.data[${i}]`)));
  } else if (name === "sleep_analysis") {
    addSleep(out, metric.data, `${path}.data`);
  } else {
    metric.data.forEach((point, i) => addGauges(out, name, metric.units ?? "", point, `${path}.data[${i}]`));
  }
}

function heartRateSample(point: unknown, path: string): HeartRateSample {
  assertMatches(checkHeartRatePoint, point, path);
  // Grouped exports carry a fractional Avg; the point stands for its bucket.
  const bpm = point.Avg ?? point.qty;
  if (bpm === undefined) throw invalidPayload(`${path} has neither Avg nor qty: no heart rate to read`, `${path}.Avg`);
  return { ts: parseHaeDate(point.date), bpm, source: point.source ?? "", device: "" };
}

const finiteOrAbsent = (v: unknown) => v === undefined || (typeof v === "number" && Number.isFinite(v));

/**
 * The shape nearly every point has, checked by hand: a year of per-minute heart rate is 525,600
 * points, and the schema check (which parses the date too) would cost more than JSON.parse itself.
 * Anything unusual returns null and goes through the schema for an exact error.
 */
function plainHeartRateSample(point: unknown): HeartRateSample | null {
  if (typeof point !== "object" || point === null) return null;
  const p = point as Record<string, unknown>;
  const bpm = p.Avg ?? p.qty;
  const source = p.source ?? "";
  if (typeof p.date !== "string" || typeof bpm !== "number" || !Number.isFinite(bpm) || typeof source !== "string") return null;
  if (!finiteOrAbsent(p.Avg) || !finiteOrAbsent(p.Min) || !finiteOrAbsent(p.Max) || !finiteOrAbsent(p.qty)) return null;
  let ts: number;
  try {
    ts = parseHaeDate(p.date);
  } catch {
    return null;
  }
  return { ts, bpm, source, device: "" };
}

function addGauges(out: Normalized, name: string, units: string, point: unknown, path: string): void {
  assertMatches(checkGaugePoint, point, path);
  const ts = parseHaeDate(point.date);
  const source = point.source ?? "";
  const fields: [string, number | undefined][] = [
    [name, point.qty],
    [`${name}_systolic`, point.systolic],
    [`${name}_diastolic`, point.diastolic],
  ];
  let used = false;
  for (const [gauge, raw] of fields) {
    if (raw === undefined) continue;
    const { value, unit } = normalizeUnit(raw, units);
    out.gauges.push({ name: `hae_${gauge}`, unit, ts, value, source } satisfies GaugeSample);
    used = true;
  }
  if (!used) countIgnored(out.ignored, `metric:${name}`, 1);
}

// ---------------------------------------------------------------------------------------------
// Sleep (sleep_analysis). Rules, per point, shape detected from its keys:
// - C (segment): has startDate + endDate + value. Stage from value: Awake, Asleep, Unspecified
//   (→ asleep), Core, Deep, REM, In Bed / InBed (→ in_bed); case, spaces, "_" and HealthKit's
//   "asleepCore"-style names tolerated; an unknown value is counted in ignored, not an error.
//   Seconds come from endDate − startDate (qty is a rounded copy). Segments are grouped per
//   source string, sorted by start; a segment starting < 3 h after the latest end so far joins
//   that night, otherwise it opens a new one (so an afternoon nap is its own night). Per stage,
//   overlapping intervals are merged, so a duplicated segment is not counted twice; In Bed
//   overlaps the stages and stays separate. Nightly fields repeated on segments are ignored.
// - B (aggregated, 6.6.2+): has any of totalSleep/core/deep/rem/awake. `asleep` is UNSTAGED
//   sleep, not the total; totalSleep is redundant and not stored.
// - A (aggregated, old): asleep and/or inBed only; there `asleep` is all sleep, unstaged, so it
//   maps to the same "asleep" stage. Source: sleepSource and inBedSource joined with "|".
// - A/B: hours × 3600, rounded to whole seconds; a field present with 0 is kept as 0. The night
//   spans the earliest of sleepStart/inBedStart to the latest of sleepEnd/inBedEnd; `date`
//   (date-only, midnight or an arbitrary instant, or null) is validated but never used, because
//   it is not the night's end. No start/end at all → ignored (it cannot be placed in time).
//   HAE sums overlapping sources (real export: 27 h of sleep in a 12.4 h window): when
//   deep+core+rem+asleep+awake exceed the window by more than a minute they are scaled down
//   proportionally to fill it, and in_bed is capped at the window.
// - Every night is attributed to its end (SleepNight.end). Anything else → ignored.
// ---------------------------------------------------------------------------------------------
const NIGHT_GAP_S = 3 * 3600;
const OVERFULL_TOLERANCE_S = 60;
const SLEEP_METRIC = "metric:sleep_analysis";

const SEGMENT_STAGES: Record<string, SleepStage> = {
  awake: "awake",
  asleep: "asleep",
  unspecified: "asleep",
  asleepunspecified: "asleep",
  core: "core",
  asleepcore: "core",
  deep: "deep",
  asleepdeep: "deep",
  rem: "rem",
  asleeprem: "rem",
  inbed: "in_bed",
};

const NIGHT_FIELDS: [keyof HaeSleepNightPoint, SleepStage][] = [
  ["deep", "deep"],
  ["core", "core"],
  ["rem", "rem"],
  ["awake", "awake"],
  ["asleep", "asleep"],
  ["inBed", "in_bed"],
];

interface Segment {
  start: number;
  end: number;
  stage: SleepStage;
}

function addSleep(out: Normalized, points: unknown[], path: string): void {
  const segmentsBySource = new Map<string, Segment[]>();
  points.forEach((point, i) => {
    const at = `${path}[${i}]`;
    if (isRecord(point) && "startDate" in point && "endDate" in point && "value" in point) {
      assertMatches(checkSleepSegmentPoint, point, at);
      const stage = SEGMENT_STAGES[point.value.toLowerCase().replace(/[\s_]/g, "")];
      if (!stage) return countIgnored(out.ignored, SLEEP_METRIC, 1);
      const start = parseHaeDate(point.startDate);
      const end = parseHaeDate(point.endDate);
      if (end < start) {
        const message = `${at}.endDate ${quoteValue(point.endDate)} is before startDate ${quoteValue(point.startDate)}`;
        throw invalidPayload(message, `${at}.endDate`);
      }
      const source = point.source ?? "";
      const list = segmentsBySource.get(source) ?? [];
      list.push({ start, end, stage });
      segmentsBySource.set(source, list);
    } else if (isRecord(point) && NIGHT_FIELDS.some(([field]) => field in point)) {
      assertMatches(checkSleepNightPoint, point, at);
      const night = aggregatedNight(point, at);
      if (night) out.sleep.push(night);
      else countIgnored(out.ignored, SLEEP_METRIC, 1);
    } else {
      countIgnored(out.ignored, SLEEP_METRIC, 1);
    }
  });
  for (const [source, segments] of segmentsBySource) out.sleep.push(...segmentNights(source, segments));
}

function aggregatedNight(point: HaeSleepNightPoint, path: string): SleepNight | undefined {
  const starts = [point.sleepStart, point.inBedStart].filter(isString).map(parseHaeDate);
  const ends = [point.sleepEnd, point.inBedEnd].filter(isString).map(parseHaeDate);
  if (starts.length === 0 || ends.length === 0) return undefined;
  const start = Math.min(...starts);
  const end = Math.max(...ends);
  if (end < start) throw invalidPayload(`${path} ends (${end}) before it starts (${start})`, path);
  const window = end - start;

  const stageSeconds: SleepNight["stageSeconds"] = {};
  for (const [field, stage] of NIGHT_FIELDS) {
    const hours = point[field];
    if (typeof hours === "number") stageSeconds[stage] = Math.round(hours * 3600);
  }
  const staged = (["deep", "core", "rem", "awake", "asleep"] as const).filter((s) => stageSeconds[s] !== undefined);
  const total = staged.reduce((sum, s) => sum + stageSeconds[s]!, 0);
  if (total > window + OVERFULL_TOLERANCE_S) {
    for (const s of staged) stageSeconds[s] = Math.round((stageSeconds[s]! * window) / total);
  }
  if (stageSeconds.in_bed !== undefined && stageSeconds.in_bed > window) stageSeconds.in_bed = window;

  const source =
    point.source ?? [...new Set([point.sleepSource, point.inBedSource].filter((s): s is string => !!s))].join("|");
  return { start, end, source, stageSeconds };
}

function segmentNights(source: string, segments: Segment[]): SleepNight[] {
  segments.sort((a, b) => a.start - b.start || a.end - b.end);
  const nights: SleepNight[] = [];
  let group: Segment[] = [];
  let groupEnd = -Infinity;
  for (const segment of segments) {
    if (group.length > 0 && segment.start - groupEnd >= NIGHT_GAP_S) {
      nights.push(segmentNight(source, group));
      group = [];
    }
    group.push(segment);
    groupEnd = group.length === 1 ? segment.end : Math.max(groupEnd, segment.end);
  }
  if (group.length > 0) nights.push(segmentNight(source, group));
  return nights;
}

/** Sums each stage as the union of its intervals (segments arrive sorted by start). */
function segmentNight(source: string, group: Segment[]): SleepNight {
  const stageSeconds: SleepNight["stageSeconds"] = {};
  const reachedBy = new Map<SleepStage, number>();
  for (const { start, end, stage } of group) {
    const covered = reachedBy.get(stage) ?? -Infinity;
    const added = Math.max(0, end - Math.max(start, covered));
    stageSeconds[stage] = (stageSeconds[stage] ?? 0) + added;
    reachedBy.set(stage, Math.max(covered, end));
  }
  let end = group[0]!.end;
  for (const segment of group) end = Math.max(end, segment.end);
  return { start: group[0]!.start, end, source, stageSeconds };
}

// ---------------------------------------------------------------------------------------------
// Workouts: v2 (id, duration, activeEnergyBurned, heartRate{avg,max}) and v1 (no id, totals as
// {qty, units}). Energy → kcal, distance → km; a unit we cannot convert leaves the field out.
// ---------------------------------------------------------------------------------------------
function addWorkout(out: Normalized, w: HaeWorkout, path: string): void {
  const start = parseHaeDate(w.start);
  const end = parseHaeDate(w.end);
  if (end < start) {
    throw invalidPayload(`${path}.end ${quoteValue(w.end)} is before start ${quoteValue(w.start)}`, `${path}.end`);
  }
  const workout: Workout = {
    // v1 has no id: name + start instant, stable across 12/24-hour and offset spellings.
    id: w.id ? w.id : `${w.name}@${start}`,
    name: w.name,
    start,
    end,
    durationS: w.duration ?? end - start,
  };
  const energy = w.activeEnergyBurned ?? (Array.isArray(w.activeEnergy) ? undefined : w.activeEnergy) ?? w.totalEnergy;
  const kcal = energy && energyToKcal(energy.qty, energy.units ?? "");
  if (kcal !== undefined) workout.activeEnergyKcal = kcal;
  const km = w.distance && distanceToKm(w.distance.qty, w.distance.units ?? "");
  if (km !== undefined) workout.distanceKm = km;
  const avg = w.heartRate?.avg?.qty ?? w.avgHeartRate?.qty;
  if (avg !== undefined) workout.avgHeartRate = avg;
  const max = w.heartRate?.max?.qty ?? w.maxHeartRate?.qty;
  if (max !== undefined) workout.maxHeartRate = max;
  out.workouts.push(workout);

  const points = w.heartRateData ?? [];
  const samples = points.map((point, i) => heartRateSample(point, `${path}.heartRateData[${i}]`));
  if (isRecoverySeries(points, samples, end)) countIgnored(out.ignored, "workouts.heartRateData:recovery", samples.length);
  else out.heartRate.push(...samples);
}

/**
 * HAE bug #60: heartRateData sometimes holds the ~2-minute recovery series instead of the
 * workout's. Signature: every point has Min = Avg = Max and the series starts at (or after) the end.
 */
function isRecoverySeries(points: HaeHeartRatePoint[], samples: HeartRateSample[], end: number): boolean {
  if (points.length === 0) return false;
  const flat = points.every((p) => p.Min !== undefined && p.Min === p.Avg && p.Avg === p.Max);
  return flat && samples.every((s) => s.ts >= end);
}

function countIgnored(ignored: Record<string, number>, key: string, count: number): void {
  const name = key.slice(0, 100);
  // defineProperty: a key such as "__proto__" from the body stays a plain counter.
  Object.defineProperty(ignored, name, {
    value: (Object.hasOwn(ignored, name) ? ignored[name]! : 0) + count,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}
