// What the reader tells an observing caller (summarize) beyond the normalized model, as it reads: the member names
// at each path, each metric's name and units as written, and each item's instants with the UTC offset they were
// written with, taken from the normalizer's one parse of each date (dates.ts watchDates), never parsed again.
import { watchDates } from "./dates";
import { HAE_KEYS } from "./hae";

export interface Observer {
  /** The body's shape, as soon as the reader knows it (before any item, even when every item is refused). */
  shape(shape: "hae" | "fixture"): void;
  /** A member of an object at `pattern`: "" (the body), "data", "data.metrics[]", or an item's (see DatedItems). */
  member(pattern: string, name: string): void;
  /** The array at `items` holds a metric's points: its stored name (null without one) and its units as written. */
  metric(items: string, name: string | null, units: unknown): void;
  /** Item `index` of the array at `items`, whatever it holds (`object`: it is one); the instants it stands for follow. */
  item(items: string, index: number, object: boolean): void;
  /**
   * An instant of the current item: where in it ("", ".start", ".heartRateData[2]"), as written, and as the
   * normalizer parsed it (null: no timestamp, e.g. a bare day or a date it refused; offset null: not a date string).
   */
  instant(field: string, written: unknown, ts: number | null, offsetSeconds: number | null): void;
}

/** Which dates an array's items carry: a metric's points, our fixture's samples, or workouts. */
export type DatedItems = "points" | "samples" | "workouts";

/** The path pattern of an item's members. */
const ITEM_PATTERN: Record<DatedItems, string> = { points: "data.metrics[].data[]", samples: "samples[]", workouts: "data.workouts[]" };

/** Members the normalizer expects, by pattern (a raw entry's own and its body's); patterns not listed take anything. */
const EXPECTED: Record<string, ReadonlySet<string>> = {
  "": new Set(["id", "receivedAt", "user", "body", "type", "source", "sourceBundleId", "device", "samples", "data"]),
  "samples[]": new Set(["ts", "bpm"]),
  data: new Set(HAE_KEYS),
  "data.metrics[]": new Set(["name", "units", "data"]),
  // every metric kind's point, the three sleep shapes included
  "data.metrics[].data[]": new Set(
    `date qty Min Avg Max source units start end context systolic diastolic mealTime reason value metadata startDate endDate
    totalSleep asleep core deep rem awake inBed sleepStart sleepEnd inBedStart inBedEnd sleepSource inBedSource`.split(/\s+/),
  ),
};

export function unexpectedMember(pattern: string, name: string): boolean {
  const expected = EXPECTED[pattern];
  return !!expected && !expected.has(name);
}

/** The timestamps the normalizer parsed while normalizing one run, by their text: [ts, offset seconds]. */
export class SeenDates {
  private readonly seen = new Map<string, [number, number]>();
  private readonly watch = (written: string, ts: number, offset: number) => void this.seen.set(written, [ts, offset]);

  watching<T>(run: () => T): T {
    return watchDates(this.watch, run);
  }

  get(written: unknown): [number, number] | undefined {
    return typeof written === "string" ? this.seen.get(written) : undefined;
  }
}

/** A refused item's fault is a point's: any of a metric's points or a fixture's samples, a workout's heart-rate points. */
export function isPointFault(dated: DatedItems | undefined, field: string): boolean {
  return dated === "points" || dated === "samples" || (dated === "workouts" && field.includes(".heartRateData["));
}

/** Tells `observer` of one item: its members, then its instants (a recovery workout's heart rate has none: HAE bug #60). */
export function observeItem(observer: Observer, dated: DatedItems, items: string, index: number, item: unknown, seen: SeenDates, recovery = false): void {
  const object = typeof item === "object" && item !== null && !Array.isArray(item);
  observer.item(items, index, object);
  if (!object) return;
  const pattern = ITEM_PATTERN[dated];
  for (const key in item) observer.member(pattern, key);
  const p = item as Record<string, unknown>;
  if (dated === "samples") return observer.instant("", p.ts, typeof p.ts === "number" && Number.isFinite(p.ts) ? p.ts : null, null);
  // the instant a point stands for: a sample's date, a sleep segment's or night's start
  if (dated === "points") return instant(observer, seen, "", p.date ?? p.startDate ?? p.sleepStart ?? p.start);
  instant(observer, seen, ".start", p.start);
  instant(observer, seen, ".end", p.end);
  if (recovery || !Array.isArray(p.heartRateData)) return;
  p.heartRateData.forEach((point, i) => instant(observer, seen, `.heartRateData[${i}]`, (point as Record<string, unknown> | null)?.date));
}

function instant(observer: Observer, seen: SeenDates, field: string, written: unknown): void {
  const parsed = seen.get(written);
  observer.instant(field, written, parsed ? parsed[0] : null, parsed ? parsed[1] : null);
}
