// Local calendar days in an IANA zone as unix-second ranges; a day is 23 or 25 h long across a DST change.
import { localDate, weekdayOfDate, zoneOffsetS } from "../render/format";

/** "2024-03-31" plus n calendar days (n may be negative); calendar arithmetic, no zone involved. */
export function addDays(date: string, n: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** The first instant (unix s) whose local date in `timeZone` is `date`. */
export function startOfLocalDay(date: string, timeZone: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d) / 1000;
  // the offset at wall-clock midnight read as UTC, then the offset at the instant that gives: right on both sides of a change
  const guess = wall - zoneOffsetS(wall, timeZone);
  const start = wall - zoneOffsetS(guess, timeZone);
  if (localDate(start, timeZone) === date && localDate(start - 1, timeZone) < date) return start;
  // midnight does not exist that day (a zone that changes clocks at 00:00): the day starts at the change
  let lo = wall - 2 * 86400;
  let hi = wall + 2 * 86400;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDate(mid, timeZone) < date) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The local day as `from < ts <= to` for Store.summary: every instant with that local date, no more. */
export function localDayRange(date: string, timeZone: string): { date: string; from: number; to: number } {
  return { date, from: startOfLocalDay(date, timeZone) - 1, to: startOfLocalDay(addDays(date, 1), timeZone) - 1 };
}

/** Monday of the local week holding `date` ("YYYY-MM-DD"). */
export function mondayOf(date: string): string {
  const sinceMonday = (["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const).indexOf(weekdayOfDate(date) as "Mon");
  return addDays(date, -sinceMonday);
}

/** The last `count` local dates up to and including the one holding `now`, oldest first. */
export function lastLocalDates(now: number, timeZone: string, count: number): string[] {
  const today = localDate(now, timeZone);
  return Array.from({ length: count }, (_, i) => addDays(today, i + 1 - count));
}

export const lastSevenDates = (now: number, timeZone: string) => lastLocalDates(now, timeZone, 7);
