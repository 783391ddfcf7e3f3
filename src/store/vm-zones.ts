// Zone-seconds counters for VictoriaMetrics, drawn one UTC day at a time (why: see the comment at the top of vm.ts).
// Each zone's series is a counter that restarts from 0: at the zone's first instant of each UTC day, and after
// the zone was absent more than RUN_GAP_S. A restart is a point 0 one second before (the "reset point"), which VM
// reads as a counter reset. A day therefore depends only on its own credits and, when its first second directly
// follows the previous day's last, on the counter there (`DayEnd`). Every zone also gets a 0 at the second before
// the day, so its series exists on every day with data.
import { ZONES, type Credit } from "../transform/zones";
import { DAY_S } from "../ledger/day-block";
import { firstAfter } from "./vm-lines";

/** A zone's run continues across at most this many seconds without it (VM 1.79 finds a baseline ≥ 5 min back). */
export const RUN_GAP_S = 60;

/** The day's last instant, its zone, and that zone's counter there. */
export interface DayEnd {
  ts: number;
  zone: number;
  value: number;
}

export interface DrawnDay {
  /** Per zone, the day's points at its own instants (ascending) and the counter there. */
  ts: number[][];
  values: number[][];
  /** Reset points (value 0) as [ts, zone], ascending. */
  resets: [number, number][];
  end: DayEnd | null;
}

/**
 * Draws one UTC day's counters from all of that day's credits (sorted) and the previous day's end.
 * VM reads a drop from X to a value v as a reset (counting v) only when 8(X − v) ≥ X: a day whose first instant
 * follows the previous day's last by 1 s has no free second for a reset point, so its first point (1 s) is the
 * reset, except when the previous counter is 1, where the run simply goes on.
 */
export function drawDay(credits: readonly Credit[], before: DayEnd | null): DrawnDay {
  const ts = ZONES.map(() => [] as number[]);
  const values = ZONES.map(() => [] as number[]);
  const resets: [number, number][] = [];
  const last = ZONES.map(() => -Infinity);
  const total = ZONES.map(() => 0);
  for (let i = 0; i < credits.length; i++) {
    const { ts: t, zone, seconds } = credits[i]!;
    if (t - last[zone]! > RUN_GAP_S) {
      const follows = i === 0 && before !== null && before.ts === t - 1 && before.zone === zone;
      if (follows && before.value > 0 && 8 * (before.value - seconds) < before.value) total[zone] = before.value;
      else {
        total[zone] = 0;
        if (!follows) resets.push([t - 1, zone]);
      }
    }
    total[zone]! += seconds;
    last[zone] = t;
    ts[zone]!.push(t);
    values[zone]!.push(total[zone]!);
  }
  // every zone starts the day at 0 (one second before it), so each zone's series exists wherever data does: a
  // Grafana panel per zone shows 0 rather than nothing; not where the previous second is that zone's own instant
  if (credits.length) {
    const eve = Math.floor(credits[0]!.ts / DAY_S) * DAY_S - 1;
    ZONES.forEach((_, zone) => {
      const own = before?.ts === eve && before.zone === zone;
      if (!own && !resets.some(([t, z]) => t === eve && z === zone)) resets.push([eve, zone]);
    });
  }
  resets.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const lastCredit = credits.at(-1);
  const end = lastCredit ? { ts: lastCredit.ts, zone: lastCredit.zone, value: total[lastCredit.zone]! } : null;
  return { ts, values, resets, end };
}

/**
 * A zone's counter at any second of the day, as a point there must read: its own value at its instants, the
 * run's value less than RUN_GAP_S after its last instant, else 0 (and 0 at the day's last second, where the next
 * day may put a reset point). Depends only on the credits up to that second, so later data never changes it.
 */
export function valueAt(day: DrawnDay, zone: number, second: number, dayStart: number): number {
  const ts = day.ts[zone]!;
  const lo = firstAfter(ts, second);
  if (lo === 0) return 0;
  const at = ts[lo - 1]!;
  if (at === second) return day.values[zone]![lo - 1]!;
  if (second - at < RUN_GAP_S && second < dayStart + DAY_S - 1) return day.values[zone]![lo - 1]!;
  return 0;
}

/** A cheap digest of what a day's drawing depends on: its credits and, when it follows on directly, the day before's end. */
export function dayDigest(credits: readonly Credit[], before: DayEnd | null): string {
  const data = new Float64Array(credits.length * 4 + 3);
  for (let i = 0, at = 0; i < credits.length; i++, at += 4) {
    const c = credits[i]!;
    data[at] = c.ts;
    data[at + 1] = c.zone;
    data[at + 2] = c.seconds;
    data[at + 3] = c.bpm;
  }
  if (before && credits[0] && before.ts === credits[0].ts - 1) data.set([before.ts, before.zone, before.value], credits.length * 4);
  return Bun.hash(data.buffer).toString(36);
}
