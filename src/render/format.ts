// Numbers and times in the words the screen uses. Every clock is read in the user's IANA zone, passed in.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${timeZone}|${JSON.stringify(options)}`;
  let found = formatters.get(key);
  if (!found) formatters.set(key, (found = new Intl.DateTimeFormat("en-GB", { timeZone, ...options })));
  return found;
}

/** "14:05" */
export function clock(ts: number, timeZone: string): string {
  return formatter(timeZone, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(ts * 1000);
}

/** "2024-03-18", the local calendar date. */
export function localDate(ts: number, timeZone: string): string {
  return formatter(timeZone, { year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(ts * 1000)
    .filter((p) => p.type !== "literal")
    .map((p) => p.value)
    .reverse()
    .join("-");
}

/** Seconds the zone's wall clock is ahead of UTC at `ts` (3600 for Berlin in winter). */
export function zoneOffsetS(ts: number, timeZone: string): number {
  const parts = formatter(timeZone, { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" })
    .formatToParts(ts * 1000)
    .reduce<Record<string, number>>((acc, p) => (p.type === "literal" ? acc : { ...acc, [p.type]: Number(p.value) }), {});
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) / 1000;
  return wall - Math.floor(ts);
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** "Mon" for "2024-03-18": a calendar date has a weekday whatever the zone. */
export function weekdayOfDate(date: string): string {
  return WEEKDAYS[new Date(`${date}T12:00:00Z`).getUTCDay()]!;
}

/** "14:05" today, "Mon 14:05" on another day, "12 Mar" over a week ago. */
export function when(ts: number, now: number, timeZone: string): string {
  const date = localDate(ts, timeZone);
  if (date === localDate(now, timeZone)) return clock(ts, timeZone);
  if (now - ts < 6 * 86400) return `${weekdayOfDate(date)} ${clock(ts, timeZone)}`;
  return formatter(timeZone, { day: "numeric", month: "short" }).format(ts * 1000);
}

/** Hours with one decimal: "7.4". */
export const hoursOneDecimal = (seconds: number) => (Math.round(seconds / 360) / 10).toFixed(1);

/** "45m", "1h 05m", "20h". */
export function duration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h}h` : `${h}h ${String(m).padStart(2, "0")}m`;
}

/** Compact, for detail lines: "45m", "1h05", "20h59". */
export function shortDuration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}`;
}

/** Short bar label: "45m", "1.2h", "20h". */
export function barHours(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  if (minutes === 0) return "";
  if (minutes < 60) return `${minutes}m`;
  return minutes >= 600 ? `${Math.round(minutes / 60)}h` : `${(Math.round(minutes / 6) / 10).toFixed(1)}h`;
}
