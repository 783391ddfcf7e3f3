// TRMNL_QUIET: the device sleeps through the window, and what it shows overnight is the screen the night ends on.
import { addDays } from "./localTime";
import { localDate, zoneOffsetS } from "../render/format";

export interface QuietWindow {
  /** Local minutes of the day; endMin < startMin crosses midnight. */
  startMin: number;
  endMin: number;
}

/** The shortest sleep ever asked for: waking a few seconds early must not make the device poll in a loop. */
export const MIN_QUIET_SLEEP_S = 60;

/**
 * The first instant whose local wall clock reads `minutes` on `date`. A time the clocks skip (02:30 on a spring-forward
 * night) is the instant of the change; a time that happens twice is its first occurrence.
 */
export function localTimeToInstant(date: string, minutes: number, timeZone: string): number {
  const wall = Date.parse(`${date}T00:00:00Z`) / 1000 + minutes * 60;
  // wall clock minus UTC is within ±15 h, so the answer is between these; the wall clock only jumps forward in it, or back once
  let lo = wall - 15 * 3600;
  let hi = wall + 15 * 3600;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (mid + zoneOffsetS(mid, timeZone) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** When the quiet window holding `now` ends (unix s), or null when `now` is outside it. */
export function quietUntil(now: number, quiet: QuietWindow, timeZone: string): number | null {
  const minute = Math.floor((((now + zoneOffsetS(now, timeZone)) % 86400) + 86400) % 86400 / 60);
  const { startMin, endMin } = quiet;
  const inside = startMin < endMin ? minute >= startMin && minute < endMin : minute >= startMin || minute < endMin;
  if (!inside) return null;
  const today = localDate(now, timeZone);
  // before the end's time of day: it ends today; after it (the evening half of a window across midnight): tomorrow
  return localTimeToInstant(minute < endMin ? today : addDays(today, 1), endMin, timeZone);
}

/** The refresh_rate that sleeps a device from `now` to the window's end. */
export const quietSleepS = (now: number, end: number) => Math.max(MIN_QUIET_SLEEP_S, end - now);
