// Issue #16's randomized check: years of heart rate from several sources written as a raw log with late
// entries, overlapping windows, repeats and revisions (rebuilt by `replay`), then a tail of the same kinds
// sent to the real server over HTTP; a reference kept here, apart from the ledger, of every distinct
// (instant, source) with its latest value; ranges to ask. The bench (bench/scale-check.ts) runs it at 10 M
// samples, tests/e2e/scale-check.test.ts at 200 k.
import { RawLog } from "../../src/raw/rawlog";
import { creditTimeline, preferSample, sampleProblem, zoneBoundsBpm, ZONES, type ZoneProfile, type ZoneSeconds } from "../../src/transform/zones";

export const USER = "me";
export const TIME_ZONE = "Europe/Berlin";
export const PROFILE: ZoneProfile = { mode: "karvonen", hrMax: 190, rhr: 55, bounds: [0.5, 0.6, 0.7, 0.8] };
/** The same profile and zone as the server's environment (replay and serve must agree). */
export const HISTORY_ENV = { USER_LABEL: USER, ZONES_MODE: "karvonen", HR_MAX: "190", RHR: "55", ZONE_BOUNDS: "0.5,0.6,0.7,0.8", USER_TZ: TIME_ZONE };
/** The raw log's sources; the tail adds "Garmin", which the timeline prefers over Oura and Polar at a shared instant. */
const SOURCES = ["Apple Watch", "Polar H10", "Oura", "iPhone", "Garmin"] as const;
const GARMIN = 4;
const DAY_S = 86_400;
/**
 * Samples a generated day holds on average (see `generateDay`), to size the years for a sample count: 10 M is
 * about four years, inside VictoriaMetrics' 5-year retention (docker-compose.yml), which drops older samples.
 */
const PER_DAY = 6_700;

export function rng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}
const between = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

/** Every distinct (instant, source) ever sent, with the value of the last payload that carried it. */
export class Samples {
  ts = new Int32Array(1 << 16);
  source = new Uint8Array(1 << 16);
  bpm = new Float32Array(1 << 16);
  length = 0;

  add(ts: number, source: number, bpm: number): number {
    if (this.length === this.ts.length) {
      const grow = <T extends Int32Array | Uint8Array | Float32Array>(a: T) => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      [this.ts, this.source, this.bpm] = [grow(this.ts), grow(this.source), grow(this.bpm)];
    }
    this.ts[this.length] = ts;
    this.source[this.length] = source;
    this.bpm[this.length] = bpm;
    return this.length++;
  }
}

/** One payload: which samples it carries (indices into Samples) and the values it gives them. */
export interface Payload {
  source: number;
  index: Int32Array;
  bpm: Float32Array;
  hae: boolean;
}

function payload(source: number, index: number[], bpm: number[], hae = false): Payload {
  return { source, index: Int32Array.from(index), bpm: Float32Array.from(bpm), hae };
}

/** Sending a payload: its values become the latest of its samples. */
function applyPayload(samples: Samples, p: Payload) {
  for (let i = 0; i < p.index.length; i++) samples.bpm[p.index[i]!] = p.bpm[i]!;
}

/** HAE's date: local wall time with the offset Europe/Berlin has then (what an iPhone there sends). */
function haeDate(ts: number): string {
  const offsetMin = berlinOffsetS(ts) / 60;
  const d = new Date((ts + offsetMin * 60) * 1000).toISOString();
  return `${d.slice(0, 10)} ${d.slice(11, 19)} +0${offsetMin / 60}00`;
}

export function payloadBody(samples: Samples, p: Payload): string {
  const source = SOURCES[p.source]!;
  const parts: string[] = new Array(p.index.length);
  for (let i = 0; i < p.index.length; i++) {
    const ts = samples.ts[p.index[i]!]!;
    const bpm = p.bpm[i]!;
    parts[i] = p.hae ? `{"date":"${haeDate(ts)}","Min":${bpm - 2},"Avg":${bpm},"Max":${bpm + 3},"source":"${source}"}` : `{"ts":${ts},"bpm":${bpm}}`;
  }
  return p.hae
    ? `{"data":{"metrics":[{"name":"heart_rate","units":"count/min","data":[${parts.join(",")}]}]}}`
    : `{"type":"heart_rate","source":"${source}","samples":[${parts.join(",")}]}`;
}

/** Mostly whole bpm, sometimes a half (a grouped export's Avg). */
const reading = (random: () => number, lo: number, hi: number) => between(random, lo, hi) + (random() < 0.05 ? 0.5 : 0);

/**
 * Day `day`'s samples (unix day number), one payload per source: the watch through the waking hours at
 * 20–100 s (off for hours now and then), a workout most days (1–2.5 h: watch at 5 s, a chest strap at 1 s), a ring
 * at night every minute on a whole minute (instants it shares with the watch), a few phone readings.
 */
function generateDay(samples: Samples, day: number, random: () => number): Payload[] {
  if (random() < 0.03) return []; // a day without any device
  const start = day * DAY_S;
  const bySource: { index: number[]; bpm: number[] }[] = SOURCES.map(() => ({ index: [], bpm: [] }));
  const put = (source: number, ts: number, bpm: number) => {
    bySource[source]!.index.push(samples.add(ts, source, bpm));
    bySource[source]!.bpm.push(bpm);
  };
  const workout = random() < 0.8 ? { from: start + between(random, 5, 19) * 3600 + between(random, 0, 3599), length: between(random, 60, 150) * 60 } : null;
  for (let ts = start + between(random, 0, 3600); ts < start + DAY_S; ts += 5 * between(random, 4, 20)) {
    if (random() < 0.002) ts += between(random, 1, 4) * 3600;
    if (workout && ts >= workout.from - 60 && ts < workout.from + workout.length) continue;
    if (ts < start + DAY_S) put(0, ts, reading(random, 50, 100));
  }
  if (workout) {
    const strap = random() < 0.9;
    for (let t = 0; t < workout.length; t++) {
      const bpm = reading(random, 100, 185);
      if (t % 5 === 0) put(0, workout.from + t, bpm);
      if (strap) put(1, workout.from + t, bpm + between(random, -2, 2));
    }
  }
  if (random() < 0.5) for (let ts = start + 21 * 3600; ts < start + DAY_S; ts += 60) put(2, ts, reading(random, 45, 70));
  const phone = new Set(Array.from({ length: 10 }, () => start + between(random, 0, DAY_S - 1)));
  for (const ts of [...phone].sort((a, b) => a - b)) put(3, ts, reading(random, 60, 110));
  return bySource.flatMap((s, source) => (s.index.length ? [payload(source, s.index, s.bpm)] : []));
}

/** A payload's samples split in two windows that overlap by a fifth of it. */
function overlapping(p: Payload): Payload[] {
  const n = p.index.length;
  const cut = Math.floor(n * 0.6);
  const second = Math.floor(n * 0.4);
  return [{ ...p, index: p.index.slice(0, cut), bpm: p.bpm.slice(0, cut) }, { ...p, index: p.index.slice(second), bpm: p.bpm.slice(second) }];
}

/** Up to `n` of a payload's samples with new values (same instant and source), moved to another zone mostly. */
function revision(p: Payload, n: number, random: () => number): Payload {
  const chosen = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const k = Math.floor(random() * p.index.length);
    chosen.set(p.index[k]!, p.bpm[k]! >= 120 ? reading(random, 55, 110) : reading(random, 125, 185));
  }
  const index = [...chosen.keys()].sort((a, b) => a - b);
  return payload(p.source, index, index.map((i) => chosen.get(i)!), random() < 0.5);
}

export interface History {
  samples: Samples;
  /** Unix days held: the raw log's first and last. */
  firstDay: number;
  lastDay: number;
  rawEntries: number;
  /** What the raw log's twists added: entries held back, split in overlapping windows, sent twice, revisions. */
  twists: { late: number; overlapping: number; repeated: number; revisions: number };
}

/**
 * Writes ≈`target` distinct samples ending on `lastDay` into DATA_DIR/raw as fixture-shaped entries, in the
 * order a phone that is sometimes offline would send them: a few days late, some split in overlapping
 * windows, some sent twice, and revisions of days already sent.
 */
export function writeHistory(dataDir: string, target: number, lastDay: number, seed: number): History {
  const random = rng(seed);
  const samples = new Samples();
  const firstDay = lastDay - Math.max(1, Math.ceil(target / PER_DAY)) + 1;
  const raw = new RawLog(dataDir);
  const due = new Map<number, Payload[]>();
  const schedule = (at: number, p: Payload) => due.set(at, [...(due.get(at) ?? []), p]);
  const twists = { late: 0, overlapping: 0, repeated: 0, revisions: 0 };
  let received = firstDay * DAY_S;
  let rawEntries = 0;
  const send = (p: Payload, day: number) => {
    applyPayload(samples, p);
    // received late on the day it is sent (replay judges "in the future" by it), in log order: the order replay merges in
    received = Math.max(received + 1, (day + 1) * DAY_S - 3600);
    raw.append(Buffer.from(payloadBody(samples, p)), { id: crypto.randomUUID(), receivedAt: new Date(received * 1000), user: USER });
    rawEntries++;
  };
  for (let day = firstDay; day <= lastDay + 60; day++) {
    if (day <= lastDay && samples.length < target) {
      const late = random() < 0.05 ? between(random, 1, 30) : 0;
      if (late) twists.late++;
      for (const p of generateDay(samples, day, random)) {
        const parts = random() < 0.05 ? overlapping(p) : [p];
        if (parts.length > 1) twists.overlapping++;
        for (const part of parts) schedule(Math.min(day + late, lastDay), part);
        if (random() < 0.04) {
          schedule(Math.min(day + late + between(random, 0, 5), lastDay), p);
          twists.repeated++;
        }
        if (random() < 0.04) {
          schedule(Math.min(day + late + between(random, 1, 20), lastDay), revision(p, 40, random));
          twists.revisions++;
        }
      }
    }
    for (const p of due.get(day) ?? []) send(p, day);
    due.delete(day);
    if (day >= lastDay && !due.size) break;
  }
  raw.close();
  return { samples, firstDay, lastDay, rawEntries, twists };
}

/**
 * The tail sent over HTTP after the replay: `count` payloads within the last `recentDays` days, each one of
 * new samples from a source not in the raw log (late, some at instants other sources hold), a window
 * overlapping held samples, an exact repeat of an earlier tail payload, or revisions; half of them HAE JSON.
 * Applied to the reference in the order returned, which is the order to send them.
 */
export function tailPayloads(history: History, count: number, recentDays: number, seed: number): Payload[] {
  const random = rng(seed);
  const { samples } = history;
  const out: Payload[] = [];
  const garmin = new Map<number, number>();
  const firstRecent = Math.max(history.firstDay, history.lastDay - recentDays + 1) * DAY_S;
  // held samples from the recent days: a binary search in the raw log's samples, which were added day by day
  let lo = 0;
  for (let hi = samples.length; lo < hi; ) {
    const mid = (lo + hi) >> 1;
    if (samples.ts[mid]! < firstRecent - DAY_S) lo = mid + 1;
    else hi = mid;
  }
  const held = samples.length;
  const recentRun = (n: number) => {
    const at = between(random, lo, held - 1);
    const source = samples.source[at]!;
    const index: number[] = [];
    for (let i = at; i < held && index.length < n; i++) if (samples.source[i] === source && samples.ts[i]! >= firstRecent) index.push(i);
    return { source, index };
  };
  for (let k = 0; k < count; k++) {
    const kind = random();
    const hae = random() < 0.5;
    if (kind < 0.35 || out.length === 0) {
      // late samples from a new source: a 10–40 minute stretch at 1–6 s of a recent day
      const from = firstRecent + Math.floor(random() * (history.lastDay * DAY_S + DAY_S - firstRecent - 3000));
      const index: number[] = [];
      const bpm: number[] = [];
      for (let ts = from; ts < from + between(random, 10, 40) * 60; ts += between(random, 1, 6)) {
        const value = reading(random, 60, 185);
        index.push(garmin.get(ts) ?? garmin.set(ts, samples.add(ts, GARMIN, value)).get(ts)!);
        bpm.push(value);
      }
      out.push(payload(GARMIN, index, bpm, hae));
    } else if (kind < 0.6) {
      // a window over held samples: their values, some revised
      const { source, index } = recentRun(between(random, 50, 600));
      out.push(payload(source, index, index.map((i) => (random() < 0.1 ? reading(random, 50, 185) : samples.bpm[i]!)), hae));
    } else if (kind < 0.75) {
      const again = out[Math.floor(random() * out.length)]!;
      out.push({ ...again });
    } else {
      const { source, index } = recentRun(between(random, 20, 2_000));
      out.push(revision(payload(source, index, index.map((i) => samples.bpm[i]!)), 30, random));
    }
  }
  return out;
}

/** Sends the tail's payloads to the reference (the server gets their bodies, in the same order). */
export function applyTail(history: History, tail: readonly Payload[]) {
  for (const p of tail) applyPayload(history.samples, p);
}

/** The merged timeline's credits, built here from the distinct samples with the transform's own rules. */
export interface Reference {
  ts: Int32Array;
  bpm: Float32Array;
  zone: Uint8Array;
  seconds: Uint8Array;
  length: number;
}

/**
 * One transform over the union: at each instant the sample `preferSample` keeps (sources ranked by it),
 * invalid samples dropped as `sampleProblem` says, credited by `creditTimeline`.
 */
export function reference(samples: Samples, now: number): Reference {
  const one = SOURCES.map((source) => ({ ts: 0, bpm: 60, source, device: "" }));
  const ranked = SOURCES.map((_, i) => i).sort((a, b) => (preferSample(one[a]!, one[b]!) === one[a] ? -1 : 1));
  const rank = new Uint8Array(SOURCES.length);
  ranked.forEach((source, r) => (rank[source] = r));
  // (ts, rank, bpm) packed in one float64 each: a native numeric sort orders the union by instant, then preference
  const keys = new Float64Array(samples.length);
  for (let i = 0; i < samples.length; i++) keys[i] = ((samples.ts[i]! * 8 + rank[samples.source[i]!]!) * 512 + samples.bpm[i]! * 2);
  keys.sort();
  const ts = new Int32Array(samples.length);
  const bpm = new Float32Array(samples.length);
  let n = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const t = Math.floor(key / 4096);
    const value = (key % 512) / 2;
    if (n && ts[n - 1] === t) continue;
    if (sampleProblem({ ts: t, bpm: value, source: SOURCES[ranked[Math.floor(key / 512) % 8]!]!, device: "" }, now)) continue;
    ts[n] = t;
    bpm[n++] = value;
  }
  const zone = new Uint8Array(n);
  const seconds = new Uint8Array(n);
  const bounds = zoneBoundsBpm(PROFILE);
  const SLICE = 100_000;
  for (let at = 0; at < n; at += SLICE) {
    const end = Math.min(at + SLICE, n);
    const slice = { length: end - at, ts: Float64Array.from(ts.subarray(at, end)), bpm: Float64Array.from(bpm.subarray(at, end)) };
    creditTimeline(slice, at ? ts[at - 1]! : null, bounds).forEach((c, i) => {
      zone[at + i] = c.zone;
      seconds[at + i] = c.seconds;
    });
  }
  return { ts: ts.subarray(0, n), bpm: bpm.subarray(0, n), zone, seconds, length: n };
}

/** Zone seconds credited at or before each instant asked for, in one pass over the timeline. */
export function totalsAt(ref: Reference, instants: readonly number[]): Map<number, number[]> {
  const sorted = [...new Set(instants)].sort((a, b) => a - b);
  const out = new Map<number, number[]>();
  const sums = [0, 0, 0, 0, 0];
  let i = 0;
  for (const at of sorted) {
    for (; i < ref.length && ref.ts[i]! <= at; i++) sums[ref.zone[i]!]! += ref.seconds[i]!;
    out.set(at, [...sums]);
  }
  return out;
}

export function rangeZones(totals: Map<number, number[]>, from: number, to: number): ZoneSeconds {
  const [a, b] = [totals.get(from)!, totals.get(to)!];
  return Object.fromEntries(ZONES.map((z, k) => [z, b[k]! - a[k]!])) as ZoneSeconds;
}

/** The timeline's last reading in from < ts <= to, as /api/summary's last_heart_rate. */
export function lastReading(ref: Reference, from: number, to: number): { ts: number; bpm: number } | null {
  let lo = 0;
  for (let hi = ref.length; lo < hi; ) {
    const mid = (lo + hi) >> 1;
    if (ref.ts[mid]! <= to) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && ref.ts[lo - 1]! > from ? { ts: ref.ts[lo - 1]!, bpm: ref.bpm[lo - 1]! } : null;
}

/** Europe/Berlin's UTC offset (s) at an instant, from Intl (not the app's own time-zone code). */
export function berlinOffsetS(ts: number): number {
  const name = new Intl.DateTimeFormat("en-US", { timeZone: TIME_ZONE, timeZoneName: "longOffset" }).formatToParts(new Date(ts * 1000)).find((p) => p.type === "timeZoneName")!.value;
  const m = /GMT([+-])(\d\d):(\d\d)/.exec(name);
  return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
}

/** The instant local midnight starts date y-m-d in Europe/Berlin (its clocks change at 02:00/03:00, never at midnight). */
export function berlinMidnight(y: number, m: number, d: number): number {
  const wall = Date.UTC(y, m - 1, d) / 1000;
  return wall - berlinOffsetS(wall - berlinOffsetS(wall));
}

export const isoDate = (ts: number) => new Date((ts + berlinOffsetS(ts)) * 1000).toISOString().slice(0, 10);

export interface Range {
  kind: string;
  from: number;
  to: number;
}

/**
 * ≈`count` ranges (from, to] over the history: the whole of it, ranges inside one day (some of seconds), local
 * days and weeks around each DST change, UTC midnights, ranges starting in a gap, local years, ranges
 * spanning years, and random pairs of held instants.
 */
export function pickRanges(ref: Reference, count: number, seed: number): Range[] {
  const random = rng(seed);
  const [first, last] = [ref.ts[0]!, ref.ts[ref.length - 1]!];
  const instant = () => ref.ts[Math.floor(random() * ref.length)]!;
  const ranges: Range[] = [
    { kind: "whole history", from: first - 1, to: last },
    { kind: "from 0 to after the last", from: 0, to: last + DAY_S },
  ];
  // Europe/Berlin changes on the last Sunday of March and October
  const years = [] as number[];
  for (let y = new Date(first * 1000).getUTCFullYear(); y <= new Date(last * 1000).getUTCFullYear(); y++) years.push(y);
  const lastSunday = (y: number, m: number) => {
    let d = 31;
    while (new Date(Date.UTC(y, m - 1, d)).getUTCDay() !== 0) d--;
    return d;
  };
  const dst: Range[] = [];
  for (const y of years) {
    for (const m of [3, 10]) {
      const d = lastSunday(y, m);
      const day = { kind: `local day ${y}-${m}-${d} (${m === 3 ? 23 : 25} h)`, from: berlinMidnight(y, m, d) - 1, to: berlinMidnight(y, m, d + 1) - 1 };
      const week = { kind: `local week over ${y}-${m}-${d}'s DST change`, from: berlinMidnight(y, m, d - 6), to: berlinMidnight(y, m, d + 1) };
      for (const r of [day, week]) if (r.from >= first - DAY_S && r.to <= last + DAY_S) dst.push(r);
    }
    const year = { kind: `local year ${y}`, from: berlinMidnight(y, 1, 1) - 1, to: berlinMidnight(y + 1, 1, 1) - 1 };
    if (year.from > first && year.to < last) ranges.push(year);
  }
  ranges.push(...dst.sort(() => random() - 0.5).slice(0, Math.max(4, Math.floor(count / 6))));
  for (let i = 0; i < 3; i++) {
    const midnight = Math.ceil(instant() / DAY_S) * DAY_S;
    ranges.push({ kind: "across a UTC midnight", from: midnight - between(random, 1, 7200), to: midnight + between(random, 1, 7200) });
  }
  // gaps: the first pause longer than an hour after a random instant
  for (let i = 0; i < 3; i++) {
    let at = Math.floor(random() * (ref.length - 1));
    while (at < ref.length - 2 && ref.ts[at + 1]! - ref.ts[at]! < 3600) at++;
    const inGap = ref.ts[at]! + between(random, 1, ref.ts[at + 1]! - ref.ts[at]! - 1);
    ranges.push({ kind: "starting inside a pause", from: inGap, to: inGap + between(random, 3600, 3 * DAY_S) });
  }
  const span = last - first;
  for (let i = 0; i < 3; i++) {
    const kind = span > 2 * 365 * DAY_S ? "spanning years" : "spanning most of the history";
    ranges.push({ kind, from: first + Math.floor((random() * span) / 4), to: last - Math.floor((random() * span) / 4) });
  }
  while (ranges.length < count) {
    const a = instant();
    const inOneDay = ranges.length % 3 === 0;
    if (inOneDay) {
      const day = Math.floor(a / DAY_S) * DAY_S;
      const span = random() < 0.3 ? between(random, 1, 30) : between(random, 60, DAY_S - 1);
      const from = day + between(random, 0, DAY_S - 1 - span);
      ranges.push({ kind: span <= 30 ? "seconds inside one day" : "inside one day", from, to: from + span });
    } else {
      const b = instant() + between(random, -2, 2);
      if (a !== b) ranges.push({ kind: "random instants", from: Math.min(a, b) - between(random, 0, 2), to: Math.max(a, b) });
    }
  }
  return ranges.filter((r) => r.from < r.to);
}

/** Local days around each DST change held, for /api/load (which answers per local day in USER_TZ). */
export function dstWindows(ref: Reference): { from: string; to: string }[] {
  const [first, last] = [ref.ts[0]!, ref.ts[ref.length - 1]!];
  const out: { from: string; to: string }[] = [];
  for (let y = new Date(first * 1000).getUTCFullYear(); y <= new Date(last * 1000).getUTCFullYear(); y++) {
    for (const m of [3, 10]) {
      let d = 31;
      while (new Date(Date.UTC(y, m - 1, d)).getUTCDay() !== 0) d--;
      const [from, to] = [berlinMidnight(y, m, d - 3), berlinMidnight(y, m, d + 3)];
      if (to > first && from < last) out.push({ from: isoDate(from), to: isoDate(to) });
    }
  }
  return out;
}
