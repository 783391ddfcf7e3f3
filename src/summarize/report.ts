// The `summarize --json` document. Keys are stable; add new ones, never rename (bump `version` if so).
//
// {
//   "version": 1,
//   "dir": "data_samples",                 the DIR argument as given
//   "now": "2026-01-12T10:00:00Z",         the instant "future" is measured against
//   "zones": {"mode","hrMax","rhr","bounds","boundsBpm"}   the zone model (HR_MAX, RHR, ZONES_MODE, ZONE_BOUNDS);
//                                          boundsBpm = lower bounds of z2..z5 in bpm
//   "files": [ {"path","format":"json"|"ndjson","bytes","status":"ok"|"partial"|"unreadable", ...Summary} ],
//   "skipped": [ {"path","reason"} ]       files under DIR not read (another extension, a symlink, …), by path
//   "total": Summary,                      every file added up (zone time: each file credited on its own)
//   "plots": ["out/…png", …]               files written by --plots ([] without it)
// }
// Summary:
//   entries            documents read (1 per .json file, 1 per NDJSON line)
//   rawEntries         of those, raw-log entries {"id","receivedAt","user","body"} (the body is what is summarized)
//   shapes             {"hae","fixture","unknown"}: documents by payload shape
//   strict             {"accepted","rejected","skipped"}: what the webhook's normalisation says of each document
//                      (skipped: always 0 since the hook's streamed reader checks every document; kept for version 1)
//   records            {"metrics": {name: {"points","units":[…],"firstUtc","lastUtc","medianIntervalS"}},
//                       "workouts", "workoutHeartRatePoints", "sections": {name: entries}}  (fixture samples
//                       count as metric "heart_rate"; points: a metric's data[] entries; units as written;
//                       medianIntervalS: positive steps in file order; sections: entries of data's arrays, and
//                       "workouts.heartRateData:recovery" the workouts whose heart rate is HAE bug #60's)
//   keys               {"data.metrics[].data[].Avg": n, …}: every member name seen, as a path pattern, with counts
//                      (workouts: their own members only)
//   time               {"firstUtc","lastUtc","offset","firstLocal","lastLocal","offsets":{"+01:00": n}}: over every
//                      point with a usable timestamp (a point's date, else a sleep segment's or night's start; workouts'
//                      start, end and heart rate); offset = the most used one, local = "yyyy-MM-dd HH:mm:ss +HH:MM"
//   heartRate          null, or {"samples","credited","minBpm","maxBpm","firstUtc","lastUtc","medianIntervalS",
//                       "zoneSeconds":{"z1".."z5"},"creditedSeconds"}: samples = readings with a usable timestamp;
//                       credited = kept by the transform (valid, first at its instant); cadence on sorted instants
//   anomalies          {"gaps":{"count","longestS","longestFromUtc"}   intervals over the 10 s credit cap
//                       "duplicateTimestamps","nonIncreasingTimestamps","bpmOutOfRange","millisecondTimestamps",
//                       "futureTimestamps","beforeYear2000","unreadablePoints": {"count","first"} (first: where)
//                       "mixedOffsets":{"count","offsets":[…]}       count = distinct offsets when more than one
//                       "unknownMetrics":{"count","names":{name: points}}
//                       "unexpectedKeys":{"count","keys":{pattern: n}}   members the normalizer does not expect
//                       "outOfBounds":{"count","reasons":{reason: n}}}  dropped by normalize/bounds.ts (added in 1)
//                      unreadablePoints: points the webhook refuses (a metric's point, a sample, a workout's heart-rate
//                      point: its message, with the JSON path), left out
//   problems           [{"at","message"}] (first 20), problemCount: one per refused document, the webhook's own words:
//                      not JSON, cut short, not a payload, or its first refused item
import type { ZoneProfile } from "../transform/zones";
import { zoneBoundsBpm, ZONES } from "../transform/zones";
import { histogramMedian } from "./heartRate";
import type { SkippedFile } from "./readFile";
import type { Occurrence, Stats } from "./stats";

export interface SummaryReport {
  version: 1;
  dir: string;
  now: string;
  zones: ZoneProfile & { boundsBpm: number[] };
  files: FileReport[];
  skipped: SkippedFile[];
  total: StatsReport;
  plots: string[];
}

export type FileStatus = "ok" | "partial" | "unreadable";

export type FileReport = { path: string; format: "json" | "ndjson"; bytes: number; status: FileStatus } & StatsReport;

export type StatsReport = ReturnType<typeof statsReport>;

export function zonesReport(profile: ZoneProfile): SummaryReport["zones"] {
  return { ...profile, boundsBpm: zoneBoundsBpm(profile).map((b) => Math.round(b * 100) / 100) };
}

export function fileStatus(stats: Stats): FileStatus {
  if (stats.shapes.hae + stats.shapes.fixture === 0 && stats.metrics.size === 0) return "unreadable";
  return stats.problemCount > 0 || stats.strict.rejected > 0 ? "partial" : "ok";
}

export function statsReport(stats: Stats) {
  const offset = mostUsed(stats.offsets);
  const hr = stats.heartRate;
  const credited = hr ? ZONES.reduce((sum, zone) => sum + hr.zoneSeconds[zone], 0) : 0;
  return {
    entries: stats.entries,
    rawEntries: stats.rawEntries,
    shapes: { ...stats.shapes },
    strict: { ...stats.strict },
    records: {
      metrics: Object.fromEntries(
        [...stats.metrics].sort(([a], [b]) => a.localeCompare(b)).map(([name, m]) => [
          name,
          { points: m.points, units: [...m.units].sort(), firstUtc: utc(m.firstTs), lastUtc: utc(m.lastTs), medianIntervalS: histogramMedian(m.intervals) },
        ]),
      ),
      workouts: stats.workouts,
      workoutHeartRatePoints: stats.workoutHeartRatePoints,
      sections: sortedObject(stats.sections),
    },
    keys: sortedObject(stats.keys),
    time: {
      firstUtc: utc(stats.firstTs),
      lastUtc: utc(stats.lastTs),
      offset: offset === null ? null : offsetLabel(offset),
      firstLocal: offset === null ? null : local(stats.firstTs, offset),
      lastLocal: offset === null ? null : local(stats.lastTs, offset),
      offsets: Object.fromEntries([...stats.offsets].sort(([a], [b]) => a - b).map(([o, n]) => [offsetLabel(o), n])),
    },
    heartRate: hr && {
      samples: hr.samples,
      credited: hr.credited,
      minBpm: round2(hr.minBpm),
      maxBpm: round2(hr.maxBpm),
      firstUtc: utc(hr.firstTs),
      lastUtc: utc(hr.lastTs),
      medianIntervalS: histogramMedian(hr.intervals),
      zoneSeconds: { ...hr.zoneSeconds },
      creditedSeconds: credited,
    },
    anomalies: {
      gaps: { count: hr?.gaps.count ?? 0, longestS: hr?.gaps.longestS ?? 0, longestFromUtc: utc(hr?.gaps.longestFromTs ?? null) },
      duplicateTimestamps: { count: hr?.duplicates.count ?? 0, first: hr?.duplicates.firstTs != null ? utc(hr.duplicates.firstTs) : null },
      nonIncreasingTimestamps: occurrence(stats.nonIncreasing),
      bpmOutOfRange: occurrence(stats.bpmOutOfRange),
      millisecondTimestamps: occurrence(stats.milliseconds),
      futureTimestamps: occurrence(stats.future),
      beforeYear2000: occurrence(stats.beforeYear2000),
      unreadablePoints: occurrence(stats.unreadablePoints),
      mixedOffsets: { count: stats.offsets.size > 1 ? stats.offsets.size : 0, offsets: [...stats.offsets.keys()].sort((a, b) => a - b).map(offsetLabel) },
      unknownMetrics: { count: sum(stats.unknownMetrics), names: sortedObject(stats.unknownMetrics) },
      unexpectedKeys: { count: sum(stats.unexpectedKeys), keys: sortedObject(stats.unexpectedKeys) },
      outOfBounds: { count: sum(stats.outOfBounds), reasons: sortedObject(stats.outOfBounds) },
    },
    problems: stats.problems.map((p) => ({ ...p })),
    problemCount: stats.problemCount,
  };
}

const round2 = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);
const occurrence = (o: Occurrence) => ({ count: o.count, first: o.first });
const sum = (map: Map<string, number>) => [...map.values()].reduce((a, b) => a + b, 0);
const sortedObject = (map: Map<string, number>) => Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));

function mostUsed(counts: Map<number, number>): number | null {
  let best: number | null = null;
  for (const [value, n] of counts) if (best === null || n > counts.get(best)! || (n === counts.get(best)! && value < best)) best = value;
  return best;
}

/** "2026-01-05T07:00:00Z" (fractions kept only when there are some). */
export function utc(ts: number | null): string | null {
  if (ts === null || !Number.isFinite(ts) || Math.abs(ts) > 8.64e12) return null;
  return new Date(ts * 1000).toISOString().replace(".000Z", "Z");
}

/** 3600 → "+01:00"; the label Intl also accepts as a time zone. */
export function offsetLabel(seconds: number): string {
  const abs = Math.abs(seconds);
  const hh = String(Math.floor(abs / 3600)).padStart(2, "0");
  const mm = String(Math.floor((abs % 3600) / 60)).padStart(2, "0");
  return `${seconds < 0 ? "-" : "+"}${hh}:${mm}`;
}

/** The wall clock at `offset`: "2026-01-05 08:00:00 +01:00". */
export function local(ts: number | null, offset: number): string | null {
  const shifted = utc(ts === null ? null : ts + offset);
  return shifted && `${shifted.slice(0, 10)} ${shifted.slice(11, 19)} ${offsetLabel(offset)}`;
}
