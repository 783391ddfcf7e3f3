// HAE date strings → exact unix seconds, by an explicit pattern (never `new Date(str)`).

/** A date string HAE (or ISO 8601) does not allow; names the value. */
export class HaeDateError extends Error {
  constructor(
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(`invalid date ${quoteValue(value)}: ${reason}`);
  }
}

/** An instant plus the UTC offset it was written with (seconds east of UTC). */
export interface HaeInstant {
  ts: number;
  offsetSeconds: number;
}

// yyyy-MM-dd, then " " or "T", H:mm:ss, optional ISO fraction, optional am/pm after a space,
// U+202F (newer iOS) or U+00A0, then an offset: Z, ±HHMM or ±HH:MM, after an optional space.
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[ \u202F\u00A0]([AaPp][Mm]))?(?: ?(?:(Z)|([+-])(\d{2}):?(\d{2})))?$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MAX_OFFSET_SECONDS = 14 * 3600;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Exact unix seconds of an HAE timestamp; throws HaeDateError naming the value otherwise. */
export function parseHaeDate(value: string): number {
  return timestamp(value);
}

/** parseHaeDate within this file: each exported parse is one parse of one date (normalize/dates-once.test.ts counts them). */
function timestamp(value: string): number {
  const common = typeof value === "string" ? parseCommonHaeDate(value) : undefined;
  if (common !== undefined) {
    if (watcher) watcher(value, common, lastDay.offset);
    return common;
  }
  const { ts, offsetSeconds } = parseHaeInstant(value);
  if (watcher) watcher(value, ts, offsetSeconds);
  return ts;
}

/** Told of each timestamp parsed: as written, its instant and the UTC offset it was written with (seconds east). */
export type DateWatcher = (written: string, ts: number, offsetSeconds: number) => void;

/** Set only while watchDates runs (summarize's observed reading); the hook's parses pay one null check. */
let watcher: DateWatcher | null = null;

/** Runs `run` with every timestamp it parses told to `watch` (a bare day is no timestamp: it is not told). */
export function watchDates<T>(watch: DateWatcher, run: () => T): T {
  const outer = watcher;
  watcher = watch;
  try {
    return run();
  } finally {
    watcher = outer;
  }
}

/**
 * A memo, not state: the last common-form date's day and offset (consecutive points nearly always share
 * them). Any input gives the same result with or without it.
 */
let lastDay = { prefix: "\u0000never", suffix: "\u0000never", base: 0, offset: 0 };

/**
 * Fast path for the form nearly every point uses, `yyyy-MM-dd HH:mm:ss ±HHMM`, read by char
 * codes (4x faster than the pattern). Returns only fully valid results; anything else, including
 * every error, goes through parseHaeInstant.
 */
export function parseCommonHaeDate(v: string): number | undefined {
  if (v.length !== 25) return undefined;
  if (v.startsWith(lastDay.prefix) && v.endsWith(lastDay.suffix) && v.charCodeAt(13) === 58 && v.charCodeAt(16) === 58) {
    const hour = digits(v, 11, 2), minute = digits(v, 14, 2), second = digits(v, 17, 2);
    if (hour <= 23 && minute <= 59 && second <= 59) return lastDay.base + hour * 3600 + minute * 60 + second;
  }
  if (v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 32) return undefined;
  if (v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58 || v.charCodeAt(19) !== 32) return undefined;
  const signCode = v.charCodeAt(20);
  const sign = signCode === 45 ? -1 : signCode === 43 ? 1 : 0;
  const year = digits(v, 0, 4), month = digits(v, 5, 2), day = digits(v, 8, 2);
  const hour = digits(v, 11, 2), minute = digits(v, 14, 2), second = digits(v, 17, 2);
  const offsetHours = digits(v, 21, 2), offsetMinutes = digits(v, 23, 2);
  const offset = offsetHours * 3600 + offsetMinutes * 60;
  // NaN (a non-digit) fails every comparison below, so it falls through to the full parser.
  if (!(sign !== 0 && year >= 0 && month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59)) return undefined;
  if (!(second <= 59 && offsetMinutes <= 59 && offset <= MAX_OFFSET_SECONDS && day <= daysInMonth(year, month))) return undefined;
  const base = civilDays(v, year, month, day) * 86400 - sign * offset;
  lastDay = { prefix: v.slice(0, 11), suffix: v.slice(19), base, offset: sign * offset };
  return base + hour * 3600 + minute * 60 + second;
}

/** The memo of parseHaeDateBytes: the last common-form date's `yyyy-MM-dd ` and ` ±HHMM` bytes, and its day's base. */
const lastBytes = { prefix: new Uint8Array(11), suffix: new Uint8Array(6), base: Number.NaN };

/**
 * parseHaeDate of a date held as ASCII bytes (the big-body reader's heart-rate points, normalize/hae-points.ts):
 * when its day and offset are the last common-form date's, only the time of day is read, and no string is made.
 */
export function parseHaeDateBytes(bytes: Uint8Array, start: number, end: number): number {
  if (end - start === 25 && sameBytes(bytes, start, lastBytes.prefix) && sameBytes(bytes, start + 19, lastBytes.suffix) && bytes[start + 13] === 58 && bytes[start + 16] === 58) {
    const hour = byteDigits(bytes, start + 11), minute = byteDigits(bytes, start + 14), second = byteDigits(bytes, start + 17);
    if (hour <= 23 && minute <= 59 && second <= 59) return lastBytes.base + hour * 3600 + minute * 60 + second;
  }
  const value = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("latin1");
  const ts = parseCommonHaeDate(value);
  if (ts === undefined) return parseHaeInstant(value).ts;
  lastBytes.prefix.set(bytes.subarray(start, start + 11));
  lastBytes.suffix.set(bytes.subarray(start + 19, start + 25));
  lastBytes.base = lastDay.base;
  return ts;
}

function sameBytes(bytes: Uint8Array, start: number, expected: Uint8Array): boolean {
  for (let i = 0; i < expected.length; i++) if (bytes[start + i] !== expected[i]) return false;
  return true;
}

/** Two decimal digits as a number, NaN (failing every range check) for anything else. */
function byteDigits(bytes: Uint8Array, at: number): number {
  const tens = bytes[at]! - 48;
  const ones = bytes[at + 1]! - 48;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : Number.NaN;
}

function digits(v: string, start: number, length: number): number {
  let out = 0;
  for (let i = start; i < start + length; i++) {
    const digit = v.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return NaN;
    out = out * 10 + digit;
  }
  return out;
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : MONTH_DAYS[month - 1]!;
}

/**
 * Accepts `yyyy-MM-dd HH:mm:ss ±HHMM`, `… ±HH:MM`, the 12-hour `yyyy-MM-dd h:mm:ss am ±HHMM`
 * (space, U+202F or U+00A0 before am/pm) and ISO `yyyy-MM-ddTHH:mm:ss(.fff)(Z|±HH:MM)`.
 * ISO fractions are dropped (floor), so the result is always whole seconds.
 */
export function parseHaeInstant(value: string): HaeInstant {
  if (typeof value !== "string") throw new HaeDateError(value, "not a string");
  const m = TIMESTAMP.exec(value);
  if (!m) {
    throw new HaeDateError(value, DAY.test(value) ? "date only, a time and UTC offset are required here" : "unrecognised form");
  }
  const zulu = m[8];
  const sign = m[9];
  if (zulu === undefined && sign === undefined) throw new HaeDateError(value, "no UTC offset");
  const days = civilDays(value, +m[1]!, +m[2]!, +m[3]!);
  const hour = clockHour(value, +m[4]!, m[7]);
  const minute = +m[5]!;
  const second = +m[6]!;
  if (minute > 59) throw new HaeDateError(value, `minute ${minute} out of range`);
  if (second > 59) throw new HaeDateError(value, `second ${second} out of range`);
  const offsetSeconds = zulu ? 0 : parseOffset(value, sign === "-" ? -1 : 1, +m[10]!, +m[11]!);
  return { ts: days * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds, offsetSeconds };
}

/**
 * For fields where HAE may send a bare `yyyy-MM-dd` (sleep `date`): a full timestamp parses as
 * usual; a date-only value means that local day and becomes its local midnight at
 * `dayOffsetSeconds` (the caller supplies the offset, e.g. from a sibling timestamp).
 */
export function parseHaeDateOrDay(value: string, dayOffsetSeconds: number): number {
  const m = typeof value === "string" ? DAY.exec(value) : null;
  if (!m) return timestamp(value);
  return civilDays(value, Number(m[1]), Number(m[2]), Number(m[3])) * 86400 - dayOffsetSeconds;
}

/** True when `value` parses as a timestamp, or (with `allowDay`) as a bare local day. */
export function isHaeDate(value: unknown, allowDay = false): boolean {
  if (typeof value !== "string") return false;
  try {
    if (allowDay) parseHaeDateOrDay(value, 0);
    else parseHaeDate(value);
    return true;
  } catch {
    return false;
  }
}

function clockHour(value: string, hour: number, ampm: string | undefined): number {
  if (ampm === undefined) {
    if (hour > 23) throw new HaeDateError(value, `hour ${hour} out of range`);
    return hour;
  }
  if (hour < 1 || hour > 12) throw new HaeDateError(value, `hour ${hour} out of range for a 12-hour clock`);
  const pm = ampm.toLowerCase() === "pm";
  // 12 am is midnight (00), 12 pm is noon (12).
  return (hour % 12) + (pm ? 12 : 0);
}

function parseOffset(value: string, sign: number, hours: number, minutes: number): number {
  if (minutes > 59) throw new HaeDateError(value, `offset minutes ${minutes} out of range`);
  const seconds = hours * 3600 + minutes * 60;
  if (seconds > MAX_OFFSET_SECONDS) throw new HaeDateError(value, "offset beyond ±14:00");
  return sign * seconds;
}

/** Days since 1970-01-01 of a proleptic Gregorian date, after checking the ranges. */
function civilDays(value: string, year: number, month: number, day: number): number {
  if (month < 1 || month > 12) throw new HaeDateError(value, `month ${month} out of range`);
  const monthDays = daysInMonth(year, month);
  if (day < 1 || day > monthDays) throw new HaeDateError(value, `day ${day} out of range for month ${month}`);
  // Howard Hinnant's days_from_civil: exact integer arithmetic, no Date involved.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** JSON-quotes a value for an error message: short, with invisible spaces spelled out. */
export function quoteValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  if (text.length > 120) text = `${text.slice(0, 117)}...`;
  const invisible = /[\u0080-\u009f\u00a0\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff]/g;
  return text.replace(invisible, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
