// The UTC offsets HAE dates were written with, counted for summarize (the model keeps instants only).
import { parseCommonHaeDate, parseHaeInstant } from "./dates";

/** Which dates an array's items carry: a metric's points (one instant each) or workouts (start, end, heart rate). */
export type DatedItems = "points" | "workouts";

/** Consecutive dates nearly always share their offset's spelling: it is parsed once per spelling in a row. */
let last = { suffix: "\u0000none", offset: 0 };

/** Seconds east of UTC a valid date was written with; null for anything else (a sleep night's bare day, a bad date). */
export function dateOffset(value: unknown): number | null {
  if (typeof value !== "string") return null;
  if (value.length === 25 && value.endsWith(last.suffix) && parseCommonHaeDate(value) !== undefined) return last.offset;
  try {
    const offset = parseHaeInstant(value).offsetSeconds;
    if (value.length === 25) last = { suffix: value.slice(19), offset };
    return offset;
  } catch {
    return null;
  }
}

/** Adds the offsets of the items' dates into `into` (offset → dates); items that are not objects carry none. */
export function countOffsets(items: unknown, dated: DatedItems, into: Map<number, number>): void {
  if (!Array.isArray(items)) return;
  const count = (value: unknown) => {
    const offset = dateOffset(value);
    if (offset !== null) into.set(offset, (into.get(offset) ?? 0) + 1);
  };
  for (const item of items) {
    if (typeof item !== "object" || item === null) continue;
    const p = item as Record<string, unknown>;
    if (dated === "points") {
      // the instant a point stands for: a sample's date, a sleep segment's or night's start
      count(p.date ?? p.startDate ?? p.sleepStart ?? p.start);
      continue;
    }
    count(p.start);
    count(p.end);
    if (Array.isArray(p.heartRateData)) for (const point of p.heartRateData) count((point as Record<string, unknown> | null)?.date);
  }
}
