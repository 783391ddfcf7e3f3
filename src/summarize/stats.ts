// What summarize counts, per file and in total, in a form two files' counts can be merged in.
import { emptyZoneSeconds, ZONES } from "../transform/zones";
import { mergeHistogram, type HeartRateFacts } from "./heartRate";

/** How often something happened, and where it happened first ("file line 3: data.metrics[0].data[7] …"). */
export interface Occurrence {
  count: number;
  first: string | null;
}

export interface MetricStats {
  points: number;
  units: Set<string>;
  firstTs: number | null;
  lastTs: number | null;
  /** Positive intervals between consecutive points in file order, for the cadence. */
  intervals: Map<number, number>;
}

export interface Problem {
  at: string;
  message: string;
}

export interface Stats {
  /** Documents read: 1 for a .json file, one per line for NDJSON. */
  entries: number;
  /** What the webhook's normalisation says of each document (the same reader, streamed: none is skipped now). */
  strict: { accepted: number; rejected: number; skipped: number };
  shapes: Record<"hae" | "fixture" | "unknown", number>;
  rawEntries: number;
  workouts: number;
  workoutHeartRatePoints: number;
  /** Entries of other HAE arrays (stateOfMind, ecg, …), by name. */
  sections: Map<string, number>;
  metrics: Map<string, MetricStats>;
  /** Member names by path pattern ("data.metrics[].data[].Avg"), and those the normalizer does not expect. */
  keys: Map<string, number>;
  unexpectedKeys: Map<string, number>;
  /** UTC offsets of the date strings, in seconds east of UTC, with how many dates carried each. */
  offsets: Map<number, number>;
  firstTs: number | null;
  lastTs: number | null;
  heartRate: HeartRateFacts | null;
  nonIncreasing: Occurrence;
  bpmOutOfRange: Occurrence;
  milliseconds: Occurrence;
  future: Occurrence;
  beforeYear2000: Occurrence;
  unreadablePoints: Occurrence;
  unknownMetrics: Map<string, number>;
  /** Records or fields the normalizer dropped for a number outside its plausible bounds, by reason. */
  outOfBounds: Map<string, number>;
  problems: Problem[];
  problemCount: number;
}

export const MAX_PROBLEMS_LISTED = 20;

export function emptyStats(): Stats {
  return {
    entries: 0,
    strict: { accepted: 0, rejected: 0, skipped: 0 },
    shapes: { hae: 0, fixture: 0, unknown: 0 },
    rawEntries: 0,
    workouts: 0,
    workoutHeartRatePoints: 0,
    sections: new Map(),
    metrics: new Map(),
    keys: new Map(),
    unexpectedKeys: new Map(),
    offsets: new Map(),
    firstTs: null,
    lastTs: null,
    heartRate: null,
    nonIncreasing: { count: 0, first: null },
    bpmOutOfRange: { count: 0, first: null },
    milliseconds: { count: 0, first: null },
    future: { count: 0, first: null },
    beforeYear2000: { count: 0, first: null },
    unreadablePoints: { count: 0, first: null },
    unknownMetrics: new Map(),
    outOfBounds: new Map(),
    problems: [],
    problemCount: 0,
  };
}

export function emptyMetric(): MetricStats {
  return { points: 0, units: new Set(), firstTs: null, lastTs: null, intervals: new Map() };
}

export function bump<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

export function note(occurrence: Occurrence, where: () => string, by = 1): void {
  if (by <= 0) return;
  if (occurrence.count === 0) occurrence.first = where();
  occurrence.count += by;
}

export function addProblem(stats: Stats, at: string, message: string): void {
  stats.problemCount++;
  if (stats.problems.length < MAX_PROBLEMS_LISTED) stats.problems.push({ at, message });
}

export const minTs = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
export const maxTs = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

export function mergeMetric(into: MetricStats, from: MetricStats): void {
  into.points += from.points;
  for (const unit of from.units) into.units.add(unit);
  into.firstTs = minTs(into.firstTs, from.firstTs);
  into.lastTs = maxTs(into.lastTs, from.lastTs);
  mergeHistogram(into.intervals, from.intervals);
}

export function mergeHeartRate(into: HeartRateFacts | null, from: HeartRateFacts | null): HeartRateFacts | null {
  if (!from) return into;
  if (!into) return { ...from, zoneSeconds: { ...from.zoneSeconds }, intervals: new Map(from.intervals), gaps: { ...from.gaps }, duplicates: { ...from.duplicates } };
  const zoneSeconds = emptyZoneSeconds();
  for (const zone of ZONES) zoneSeconds[zone] = into.zoneSeconds[zone] + from.zoneSeconds[zone];
  const intervals = new Map(into.intervals);
  mergeHistogram(intervals, from.intervals);
  const longer = from.gaps.longestS > into.gaps.longestS ? from.gaps : into.gaps;
  return {
    samples: into.samples + from.samples,
    credited: into.credited + from.credited,
    minBpm: into.minBpm === null ? from.minBpm : from.minBpm === null ? into.minBpm : Math.min(into.minBpm, from.minBpm),
    maxBpm: into.maxBpm === null ? from.maxBpm : from.maxBpm === null ? into.maxBpm : Math.max(into.maxBpm, from.maxBpm),
    firstTs: minTs(into.firstTs, from.firstTs),
    lastTs: maxTs(into.lastTs, from.lastTs),
    zoneSeconds,
    intervals,
    gaps: { count: into.gaps.count + from.gaps.count, longestS: longer.longestS, longestFromTs: longer.longestFromTs },
    duplicates: { count: into.duplicates.count + from.duplicates.count, firstTs: into.duplicates.firstTs ?? from.duplicates.firstTs },
  };
}

const mergeOccurrence = (into: Occurrence, from: Occurrence, label: string) => {
  if (from.count > 0 && into.count === 0) into.first = `${label}: ${from.first}`;
  into.count += from.count;
};

/** Adds one file's stats into the total; `label` (the file's path) prefixes the first occurrences. */
export function mergeStats(into: Stats, from: Stats, label: string): void {
  into.entries += from.entries;
  into.strict.accepted += from.strict.accepted;
  into.strict.rejected += from.strict.rejected;
  into.strict.skipped += from.strict.skipped;
  for (const shape of ["hae", "fixture", "unknown"] as const) into.shapes[shape] += from.shapes[shape];
  into.rawEntries += from.rawEntries;
  into.workouts += from.workouts;
  into.workoutHeartRatePoints += from.workoutHeartRatePoints;
  for (const [name, n] of from.sections) bump(into.sections, name, n);
  for (const [name, metric] of from.metrics) {
    if (!into.metrics.has(name)) into.metrics.set(name, emptyMetric());
    mergeMetric(into.metrics.get(name)!, metric);
  }
  for (const [offset, n] of from.offsets) bump(into.offsets, offset, n);
  into.firstTs = minTs(into.firstTs, from.firstTs);
  into.lastTs = maxTs(into.lastTs, from.lastTs);
  into.heartRate = mergeHeartRate(into.heartRate, from.heartRate);
  mergeOccurrence(into.nonIncreasing, from.nonIncreasing, label);
  mergeOccurrence(into.bpmOutOfRange, from.bpmOutOfRange, label);
  mergeOccurrence(into.milliseconds, from.milliseconds, label);
  mergeOccurrence(into.future, from.future, label);
  mergeOccurrence(into.beforeYear2000, from.beforeYear2000, label);
  mergeOccurrence(into.unreadablePoints, from.unreadablePoints, label);
  for (const [name, n] of from.unknownMetrics) bump(into.unknownMetrics, name, n);
  for (const [key, n] of from.keys) bump(into.keys, key, n);
  for (const [key, n] of from.unexpectedKeys) bump(into.unexpectedKeys, key, n);
  for (const [reason, n] of from.outOfBounds) bump(into.outOfBounds, reason, n);
  into.problemCount += from.problemCount;
  for (const problem of from.problems) {
    if (into.problems.length < MAX_PROBLEMS_LISTED) into.problems.push({ at: `${label} ${problem.at}`.trim(), message: problem.message });
  }
}
