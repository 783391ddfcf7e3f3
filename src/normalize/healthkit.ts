// The Health app's export (HealthKit XML tags, from import/scanner.ts) → the same model the webhook produces.
// Pure: tags in, samples out through a sink; time passed in. Rules:
// - HeartRate records → heart-rate samples at startDate, source = sourceName, device "" (as HAE sends them),
//   so the same reading sent both ways is one instant of the merged timeline.
// - HRV's InstantaneousBeatsPerMinute are not heart-rate samples (HAE does not send them): counted, skipped.
// - Other quantities → `hae_<name>` gauges at startDate (healthkit-types.ts); fractions with unit % → percent.
// - Cumulative quantities → hourly totals: per type and UTC hour, the best source by SOURCE_PRIORITY that has
//   samples in that hour counts alone (Apple Watch before iPhone before other apps by default), so devices
//   recording the same steps are not summed. A sample counts in the hour of its startDate.
// - SleepAnalysis segments of every iOS generation → per-source nights through nightsFromSegments.
// - Workout → type, duration, distance, energy, heart rate from attributes or (iOS 16+) WorkoutStatistics.
// - Records nested in a Correlation repeat top-level ones: skipped. Me, ActivitySummary, ClinicalRecord,
//   Audiogram … are counted as not imported.
import { parseHaeDate } from "./dates";
import { nightsFromSegments } from "./hae-sleep";
import { quantityType, SLEEP_VALUES, workoutName } from "./healthkit-types";
import type { GaugeSample, HeartRateSample, SleepSegment, Workout } from "./model";
import { distanceToKm, energyToKcal, normalizeUnit } from "./units";
import type { XmlTag } from "../import/scanner";

export interface HealthKitSink {
  heartRate(sample: HeartRateSample): void;
  gauge(sample: GaugeSample): void;
  /** Every sleep segment of one source (the ledger unions them and rebuilds that source's nights once). */
  sleep(source: string, segments: SleepSegment[], nights: number): void;
  workout(workout: Workout): void;
  /** A record read but not turned into data, under the key it is reported by. */
  skipped(key: string, reason: string): void;
}

export interface HealthKitOptions {
  /** Local date (YYYY-MM-DD of startDate): earlier records are skipped. */
  since?: string;
  /** Source patterns, best first, matched case-insensitively against the device model and the source name. */
  sourcePriority: string[];
}

export const DEFAULT_SOURCE_PRIORITY = ["Watch", "iPhone"];

/** SOURCE_PRIORITY="Watch,iPhone,Withings" → patterns, best first. */
export function parseSourcePriority(value: string | undefined): string[] {
  const list = (value ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return list.length ? list : DEFAULT_SOURCE_PRIORITY;
}

const HEART_RATE = "HKQuantityTypeIdentifierHeartRate";
const SLEEP = "HKCategoryTypeIdentifierSleepAnalysis";
const HOUR_S = 3600;
const NOT_IMPORTED = new Set(["Me", "ActivitySummary", "ClinicalRecord", "Audiogram", "VisionPrescription", "WorkoutRoute"]);
const WANTED = new Set(["Record", "Workout", "WorkoutStatistics", "Correlation"]);

interface HourTotals {
  name: string;
  unit: string;
  /** hour → source → [rank, total] */
  hours: Map<number, Map<string, [number, number]>>;
}

export class HealthKitAdapter {
  private correlationDepth = 0;
  private workout: { attrs: Record<string, string>; stats: Record<string, string>[] } | null = null;
  private readonly cumulative = new Map<string, HourTotals>();
  private readonly segments = new Map<string, SleepSegment[]>();
  private readonly rankCache = new Map<string, number>();
  /** startDate of the last record read: where a truncated file stopped. */
  lastDate: string | null = null;

  constructor(
    private readonly sink: HealthKitSink,
    private readonly options: HealthKitOptions,
  ) {}

  wantsAttributes(name: string): boolean {
    return WANTED.has(name);
  }

  tag(tag: XmlTag): void {
    const { name, kind } = tag;
    if (name === "Record") {
      if (kind === "close") return;
      if (this.correlationDepth > 0) this.sink.skipped(typeKey(tag.attrs.type ?? "?"), "inside a Correlation (repeats a top-level record)");
      else this.record(tag.attrs);
    } else if (name === "Correlation") {
      if (kind === "open") this.correlationDepth++;
      else if (kind === "close") this.correlationDepth = Math.max(0, this.correlationDepth - 1);
    } else if (name === "Workout") {
      if (kind === "close") this.endWorkout();
      else {
        this.workout = { attrs: tag.attrs, stats: [] };
        if (kind === "self") this.endWorkout();
      }
    } else if (name === "WorkoutStatistics") {
      if (kind !== "close") this.workout?.stats.push(tag.attrs);
    } else if (name === "InstantaneousBeatsPerMinute") {
      if (kind !== "close") this.sink.skipped("hrv_instantaneous_bpm", "beat-to-beat readings of an HRV record, not heart-rate samples");
    } else if (NOT_IMPORTED.has(name) && kind !== "close") {
      this.sink.skipped(`element:${name}`, "not imported");
    }
  }

  private instant(value: string | undefined): number | undefined {
    if (!value) return undefined;
    try {
      return parseHaeDate(value);
    } catch {
      return undefined;
    }
  }

  private record(attrs: Record<string, string>): void {
    const type = attrs.type ?? "";
    const key = typeKey(type);
    const startDate = attrs.startDate;
    if (this.options.since && startDate && startDate.slice(0, 10) < this.options.since) return this.sink.skipped(key, "before --since");
    const start = this.instant(startDate);
    if (start === undefined) return this.sink.skipped(key, "unreadable startDate");
    this.lastDate = startDate!;
    const source = attrs.sourceName ?? "";
    if (type === HEART_RATE) {
      const value = Number(attrs.value);
      const bpm = attrs.unit === "count/s" ? value * 60 : value;
      if (attrs.value === undefined || !Number.isFinite(bpm)) return this.sink.skipped(key, "no numeric value");
      return this.sink.heartRate({ ts: start, bpm, source, device: "" });
    }
    if (type === SLEEP) {
      const stage = SLEEP_VALUES[attrs.value ?? ""];
      const end = this.instant(attrs.endDate);
      if (!stage) return this.sink.skipped(key, "unknown sleep value");
      if (end === undefined || end < start) return this.sink.skipped(key, "endDate missing or before startDate");
      const list = this.segments.get(source) ?? this.segments.set(source, []).get(source)!;
      list.push({ start, end, stage });
      return;
    }
    const quantity = quantityType(type);
    if (!quantity) return this.sink.skipped(key, "not a quantity type");
    let value = Number(attrs.value);
    if (attrs.value === undefined || attrs.value === "" || !Number.isFinite(value)) return this.sink.skipped(key, "no numeric value");
    const unitIn = attrs.unit ?? "";
    let unit: string;
    if (quantity.convert === "kcal") {
      const kcal = energyToKcal(value, unitIn);
      if (kcal === undefined) return this.sink.skipped(key, `unit ${unitIn} is not an energy`);
      (value = kcal), (unit = "kcal");
    } else if (quantity.convert === "km") {
      const km = distanceToKm(value, unitIn);
      if (km === undefined) return this.sink.skipped(key, `unit ${unitIn} is not a distance`);
      (value = km), (unit = "km");
    } else if (quantity.kind === "percent" && unitIn === "%") {
      (value = value * 100), (unit = "%");
    } else {
      ({ value, unit } = normalizeUnit(value, exportUnit(unitIn)));
    }
    const name = `hae_${quantity.name}`;
    if (quantity.kind !== "cumulative") return this.sink.gauge({ name, unit, ts: start, value, source });
    const totals = this.cumulative.get(name) ?? this.cumulative.set(name, { name, unit, hours: new Map() }).get(name)!;
    const hour = Math.floor(start / HOUR_S) * HOUR_S;
    const bySource = totals.hours.get(hour) ?? totals.hours.set(hour, new Map()).get(hour)!;
    const held = bySource.get(source);
    if (held) held[1] += value;
    else bySource.set(source, [this.rank(source, attrs.device ?? ""), value]);
  }

  /** Index of the first priority pattern the source matches (device model first, then its name); others after. */
  private rank(source: string, device: string): number {
    const model = /model:([^,>]*)/.exec(device)?.[1]?.trim() ?? "";
    const cacheKey = `${model}\u0000${source}`;
    const cached = this.rankCache.get(cacheKey);
    if (cached !== undefined) return cached;
    const patterns = this.options.sourcePriority.map((p) => p.toLowerCase());
    const hay = [model.toLowerCase(), source.toLowerCase()];
    let rank = patterns.findIndex((p) => hay.some((h) => h.includes(p)));
    if (rank < 0) rank = patterns.length;
    this.rankCache.set(cacheKey, rank);
    return rank;
  }

  private endWorkout(): void {
    const current = this.workout;
    this.workout = null;
    if (!current) return;
    const { attrs, stats } = current;
    const name = workoutName(attrs.workoutActivityType ?? "");
    if (this.options.since && (attrs.startDate ?? "").slice(0, 10) < this.options.since) return this.sink.skipped("workouts", "before --since");
    const start = this.instant(attrs.startDate);
    const end = this.instant(attrs.endDate);
    if (start === undefined || end === undefined || end < start) return this.sink.skipped("workouts", "startDate/endDate unreadable or reversed");
    const duration = Number(attrs.duration);
    const durationS = Number.isFinite(duration) && duration >= 0 ? duration * durationSeconds(attrs.durationUnit) : end - start;
    const workout: Workout = { id: `healthkit:${name}@${start}`, name, start, end, durationS };
    const stat = (suffix: string) => stats.find((s) => s.type?.endsWith(suffix));
    const energy = stat("ActiveEnergyBurned");
    const kcal = energy?.sum !== undefined ? energyToKcal(Number(energy.sum), energy.unit ?? "") : attrs.totalEnergyBurned !== undefined ? energyToKcal(Number(attrs.totalEnergyBurned), attrs.totalEnergyBurnedUnit ?? "") : undefined;
    if (kcal !== undefined && Number.isFinite(kcal)) workout.activeEnergyKcal = kcal;
    const distance = stats.find((s) => /Distance/.test(s.type ?? ""));
    const km = distance?.sum !== undefined ? distanceToKm(Number(distance.sum), distance.unit ?? "") : attrs.totalDistance !== undefined ? distanceToKm(Number(attrs.totalDistance), attrs.totalDistanceUnit ?? "") : undefined;
    if (km !== undefined && Number.isFinite(km)) workout.distanceKm = km;
    const heartRate = stat("HeartRate");
    if (heartRate?.average !== undefined && Number.isFinite(Number(heartRate.average))) workout.avgHeartRate = Number(heartRate.average);
    if (heartRate?.maximum !== undefined && Number.isFinite(Number(heartRate.maximum))) workout.maxHeartRate = Number(heartRate.maximum);
    this.sink.workout(workout);
  }

  /** After the last tag: the hourly totals and the nights, which need every record of their type first. */
  finish(): void {
    for (const { name, unit, hours } of this.cumulative.values()) {
      for (const [hour, bySource] of [...hours].sort((a, b) => a[0] - b[0])) {
        let best: [string, number, number] | null = null;
        for (const [source, [rank, total]] of bySource) {
          if (!best || rank < best[1] || (rank === best[1] && source < best[0])) best = [source, rank, total];
        }
        this.sink.gauge({ name, unit, ts: hour, value: best![2], source: best![0] });
      }
    }
    this.cumulative.clear();
    for (const [source, segments] of this.segments) this.sink.sleep(source, segments, nightsFromSegments(source, segments.slice()).length);
    this.segments.clear();
  }
}

/** Report key of a HealthKit type: HKQuantityTypeIdentifierHeartRate → heart_rate, the others by their gauge name. */
export function typeKey(type: string): string {
  if (type === HEART_RATE) return "heart_rate";
  if (type === SLEEP) return "sleep";
  const quantity = quantityType(type);
  if (quantity) return `hae_${quantity.name}`;
  return type.replace(/^HK(Category|Quantity|Correlation|DataType)TypeIdentifier/, "$1:").slice(0, 100) || "unknown";
}

/** The export writes VO2 max as mL/min·kg; HAE as ml/(kg·min). */
function exportUnit(unit: string): string {
  return unit === "mL/min·kg" ? "ml/(kg·min)" : unit;
}

function durationSeconds(unit: string | undefined): number {
  return unit === "min" ? 60 : unit === "hr" ? 3600 : unit === "s" ? 1 : 60;
}
