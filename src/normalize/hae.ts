// Health Auto Export REST body → Normalized (pure: no I/O, no clock).
import { invalidPayload } from "../errors";
import { HaeDateError, parseHaeDate, quoteValue } from "./dates";
import { assertShape, badDateAt, compileShape, dateAt, HaeEnvelope, HaeGaugePoint, HaeHeartRatePoint, type HaeMetric, type HaeWorkout } from "./hae-model";
import { BOUNDS, countInvalid, type InvalidReason, within } from "./bounds";
import { SLEEP_METRIC, sleepNights } from "./hae-sleep";
import type { GaugeSample, HeartRateSample, Normalized, Workout } from "./model";
import { distanceToKm, energyToKcal, normalizeUnit } from "./units";

const checkEnvelope = compileShape(HaeEnvelope);
const checkHeartRatePoint = compileShape(HaeHeartRatePoint);
const checkGaugePoint = compileShape(HaeGaugePoint);

/** The `ignored` key of a workout's recovery series (HAE bug #60), counted in points. */
export const RECOVERY = "workouts.heartRateData:recovery";

export const HAE_KEYS = ["metrics", "workouts", "stateOfMind", "medications", "symptoms", "cycleTracking", "ecg", "heartRateNotifications"];

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
  return normalizeHaeData((body as { data: Record<string, unknown> }).data);
}

/** The `data` object of an HAE body, or a piece of one (normalize/stream.ts): checked, then normalized. */
export function normalizeHaeData(data: Record<string, unknown>): Normalized {
  const body = { data };
  assertShape(checkEnvelope, body, "");
  // the envelope's dates are the workouts' (the schema names a bad one before any metric's problem)
  const workoutTimes = body.data.workouts?.map((workout, i) => timesOf(workout, `data.workouts[${i}]`));
  const out: Normalized = { shape: "hae", heartRate: [], gauges: [], sleep: [], workouts: [], ignored: {} };
  for (const [key, value] of Object.entries(body.data)) {
    if (key === "metrics") body.data.metrics!.forEach((metric, i) => addMetric(out, metric, `data.metrics[${i}]`));
    else if (key === "workouts") body.data.workouts!.forEach((workout, i) => addWorkout(out, workout, workoutTimes![i]!, `data.workouts[${i}]`));
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
    const { data } = metric;
    for (let i = 0; i < data.length; i++) out.heartRate.push(heartRatePoint(data[i], `${path}.data`, i));
  } else if (name === "sleep_analysis") {
    const { nights, ignored, outOfRange } = sleepNights(metric.data, `${path}.data`);
    for (const night of nights) out.sleep.push(night);
    if (ignored > 0) countIgnored(out.ignored, SLEEP_METRIC, ignored);
    if (outOfRange > 0) countInvalid(out, "sleep_out_of_range", outOfRange);
  } else {
    metric.data.forEach((point, i) => addGauges(out, name, metric.units ?? "", point, `${path}.data[${i}]`));
  }
}

/** A heart_rate metric's point `points[i]` (its path spelled out only for an error). */
export function heartRatePoint(point: unknown, points: string, i: number): HeartRateSample {
  let sample: HeartRateSample | null;
  try {
    sample = plainHeartRateSample(point);
  } catch (error) {
    // a plain point but for its date: the schema would name the date
    throw error instanceof HaeDateError ? badDateAt(error, `${points}[${i}].date`) : error;
  }
  return sample ?? heartRateSample(point, `${points}[${i}]`);
}

function heartRateSample(point: unknown, path: string, ts?: number): HeartRateSample {
  assertShape(checkHeartRatePoint, point, path);
  ts ??= dateAt(point.date, `${path}.date`);
  // Grouped exports carry a fractional Avg; the point stands for its bucket.
  const bpm = point.Avg ?? point.qty;
  if (bpm === undefined) throw invalidPayload(`${path} has neither Avg nor qty: no heart rate to read`, `${path}.Avg`);
  return { ts, bpm, source: point.source ?? "", device: "" };
}

const finiteOrAbsent = (v: unknown) => v === undefined || (typeof v === "number" && Number.isFinite(v));

/**
 * The shape nearly every point has, checked by hand: a year of per-minute heart rate is 525,600
 * points, and the schema check would cost more than JSON.parse itself. Anything unusual returns null
 * and goes through the schema for an exact error; a bad date throws HaeDateError.
 */
function plainHeartRateSample(point: unknown): HeartRateSample | null {
  if (typeof point !== "object" || point === null) return null;
  const p = point as Record<string, unknown>;
  const bpm = p.Avg ?? p.qty;
  const source = p.source ?? "";
  if (typeof p.date !== "string" || typeof bpm !== "number" || !Number.isFinite(bpm) || typeof source !== "string") return null;
  if (!finiteOrAbsent(p.Avg) || !finiteOrAbsent(p.Min) || !finiteOrAbsent(p.Max) || !finiteOrAbsent(p.qty)) return null;
  return { ts: parseHaeDate(p.date), bpm, source, device: "" };
}

function addGauges(out: Normalized, name: string, units: string, point: unknown, path: string): void {
  assertShape(checkGaugePoint, point, path);
  const ts = dateAt(point.date, `${path}.date`);
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
    used = true;
    if (!within(value, BOUNDS.gauge)) {
      countInvalid(out, "gauge_out_of_range");
      continue;
    }
    out.gauges.push({ name: `hae_${gauge}`, unit, ts, value, source } satisfies GaugeSample);
  }
  if (!used) countIgnored(out.ignored, `metric:${name}`, 1);
}

// ---------------------------------------------------------------------------------------------
// Workouts: v2 (id, duration, activeEnergyBurned, heartRate{avg,max}) and v1 (no id, totals as
// {qty, units}). Energy → kcal, distance → km; a unit we cannot convert leaves the field out.
// ---------------------------------------------------------------------------------------------
/** A workout's instants, parsed once each in the schema's order (start, end, heartRateData[i].date). */
interface WorkoutTimes {
  start: number;
  end: number;
  heartRate: number[];
}

function timesOf(w: HaeWorkout, path: string): WorkoutTimes {
  const start = dateAt(w.start, `${path}.start`);
  const end = dateAt(w.end, `${path}.end`);
  const heartRate = (w.heartRateData ?? []).map((point, i) => dateAt(point.date, `${path}.heartRateData[${i}].date`));
  return { start, end, heartRate };
}

function addWorkout(out: Normalized, w: HaeWorkout, times: WorkoutTimes, path: string): void {
  const { start, end } = times;
  if (end < start) {
    throw invalidPayload(`${path}.end ${quoteValue(w.end)} is before start ${quoteValue(w.start)}`, `${path}.end`);
  }
  const durationS = w.duration ?? end - start;
  // a workout cannot do without its span; its totals are dropped one by one
  const plausible = within(durationS, BOUNDS.workoutSeconds) && within(end - start, BOUNDS.workoutSeconds);
  if (!plausible) countInvalid(out, "workout_duration_out_of_range");
  const workout: Workout = {
    // v1 has no id: name + start instant, stable across 12/24-hour and offset spellings.
    id: w.id ? w.id : `${w.name}@${start}`,
    name: w.name,
    start,
    end,
    durationS,
  };
  const energy = w.activeEnergyBurned ?? (Array.isArray(w.activeEnergy) ? undefined : w.activeEnergy) ?? w.totalEnergy;
  const kcal = energy && energyToKcal(energy.qty, energy.units ?? "");
  if (kcal !== undefined && keep(out, kcal, BOUNDS.energyKcal, "energy_out_of_range")) workout.activeEnergyKcal = kcal;
  const km = w.distance && distanceToKm(w.distance.qty, w.distance.units ?? "");
  if (km !== undefined && keep(out, km, BOUNDS.distanceKm, "distance_out_of_range")) workout.distanceKm = km;
  const avg = w.heartRate?.avg?.qty ?? w.avgHeartRate?.qty;
  if (avg !== undefined && keep(out, avg, BOUNDS.workoutBpm, "workout_bpm_out_of_range")) workout.avgHeartRate = avg;
  const max = w.heartRate?.max?.qty ?? w.maxHeartRate?.qty;
  if (max !== undefined && keep(out, max, BOUNDS.workoutBpm, "workout_bpm_out_of_range")) workout.maxHeartRate = max;
  if (plausible) out.workouts.push(workout);

  const points = w.heartRateData ?? [];
  const samples = points.map((point, i) => heartRateSample(point, `${path}.heartRateData[${i}]`, times.heartRate[i]));
  if (isRecoverySeries(points, end, times.heartRate)) countIgnored(out.ignored, RECOVERY, samples.length);
  else out.heartRate.push(...samples);
}

/**
 * HAE bug #60: heartRateData sometimes holds the ~2-minute recovery series instead of the
 * workout's. Signature: every point has Min = Avg = Max and is at (or after) the workout's end.
 * Shared with summarize, which reads points before any schema check; `times` are the points' instants
 * when they were parsed already.
 */
export function isRecoverySeries(points: readonly unknown[], end: number, times?: readonly number[]): boolean {
  if (points.length === 0) return false;
  return points.every((p, i) => {
    if (typeof p !== "object" || p === null) return false;
    const { Min, Avg, Max, date } = p as Record<string, unknown>;
    if (Min === undefined || Min !== Avg || Avg !== Max || typeof date !== "string") return false;
    if (times) return times[i]! >= end;
    try {
      return parseHaeDate(date) >= end;
    } catch {
      return false;
    }
  });
}

/** True when `value` is within bounds; otherwise counts it under `reason`. */
function keep(out: Normalized, value: number, bounds: readonly [number, number], reason: InvalidReason): boolean {
  if (within(value, bounds)) return true;
  countInvalid(out, reason);
  return false;
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
