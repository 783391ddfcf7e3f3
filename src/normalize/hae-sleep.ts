// Health Auto Export sleep_analysis points → SleepNight[] (pure: no I/O, no clock).
import { invalidPayload } from "../errors";
import { BOUNDS, within } from "./bounds";
import { quoteValue } from "./dates";
import { assertShape, compileShape, dateAt, dateOrDayAt, HaeSleepNightPoint, HaeSleepSegmentPoint } from "./hae-model";
import type { SleepSegment, SleepNight, SleepStage } from "./model";

const checkSleepNightPoint = compileShape(HaeSleepNightPoint);
const checkSleepSegmentPoint = compileShape(HaeSleepSegmentPoint);

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
export const NIGHT_GAP_S = 3 * 3600;
const OVERFULL_TOLERANCE_S = 60;
/** The `ignored` key for sleep points that cannot be used. */
export const SLEEP_METRIC = "metric:sleep_analysis";

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

type Segment = SleepSegment;

/** A sleep_analysis metric's nights, and how many of its points were ignored; throws invalidPayload. */
export function sleepNights(points: unknown[], path: string): { nights: SleepNight[]; ignored: number; outOfRange: number } {
  const nights: SleepNight[] = [];
  let ignored = 0;
  let outOfRange = 0;
  const segmentsBySource = new Map<string, Segment[]>();
  points.forEach((point, i) => {
    const at = `${path}[${i}]`;
    if (isRecord(point) && "startDate" in point && "endDate" in point && "value" in point) {
      assertShape(checkSleepSegmentPoint, point, at);
      // each date parsed once, in the schema's order (`date` is checked, never used)
      const start = dateAt(point.startDate, `${at}.startDate`);
      const end = dateAt(point.endDate, `${at}.endDate`);
      if (typeof point.date === "string") dateOrDayAt(point.date, `${at}.date`);
      const stage = SEGMENT_STAGES[point.value.toLowerCase().replace(/[\s_]/g, "")];
      if (!stage) {
        ignored++;
        return;
      }
      if (end < start) {
        const message = `${at}.endDate ${quoteValue(point.endDate)} is before startDate ${quoteValue(point.startDate)}`;
        throw invalidPayload(message, `${at}.endDate`);
      }
      if (!within(end - start, BOUNDS.segmentSeconds)) {
        outOfRange++;
        return;
      }
      const source = point.source ?? "";
      const list = segmentsBySource.get(source) ?? [];
      list.push({ start, end, stage });
      segmentsBySource.set(source, list);
    } else if (isRecord(point) && NIGHT_FIELDS.some(([field]) => field in point)) {
      assertShape(checkSleepNightPoint, point, at);
      const night = aggregatedNight(point, nightTimes(point, at), at);
      if (night === "out_of_range") outOfRange++;
      else if (night) nights.push(night);
      else ignored++;
    } else {
      ignored++;
    }
  });
  for (const [source, segments] of segmentsBySource) nights.push(...nightsFromSegments(source, segments));
  return { nights, ignored, outOfRange };
}

/** A night's instants, each date parsed once in the schema's order (`date` is checked, never used). */
function nightTimes(point: HaeSleepNightPoint, path: string) {
  if (typeof point.date === "string") dateOrDayAt(point.date, `${path}.date`);
  const at = (field: "sleepStart" | "sleepEnd" | "inBedStart" | "inBedEnd") => {
    const value = point[field];
    return value === undefined ? undefined : dateAt(value, `${path}.${field}`);
  };
  const sleepStart = at("sleepStart");
  const sleepEnd = at("sleepEnd");
  const inBedStart = at("inBedStart");
  const inBedEnd = at("inBedEnd");
  return { starts: [sleepStart, inBedStart].filter(isNumber), ends: [sleepEnd, inBedEnd].filter(isNumber) };
}

function aggregatedNight(point: HaeSleepNightPoint, times: { starts: number[]; ends: number[] }, path: string): SleepNight | undefined | "out_of_range" {
  const { starts, ends } = times;
  if (starts.length === 0 || ends.length === 0) return undefined;
  const start = Math.min(...starts);
  const end = Math.max(...ends);
  if (end < start) throw invalidPayload(`${path} ends (${end}) before it starts (${start})`, path);
  const window = end - start;
  if (!within(window, BOUNDS.nightSeconds)) return "out_of_range";
  if (NIGHT_FIELDS.some(([field]) => typeof point[field] === "number" && !within(point[field] as number, BOUNDS.sleepHours))) return "out_of_range";

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

/** Nights of one source from its segments: grouped by gaps under 3 h, each stage the union of its intervals. */
export function nightsFromSegments(source: string, segments: Segment[]): SleepNight[] {
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
  return { start: group[0]!.start, end, source, stageSeconds, segments: group.map(({ start, end, stage }) => ({ start, end, stage })) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNumber(value: unknown): value is number {
  return typeof value === "number";
}
