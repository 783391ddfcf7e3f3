// One user-day of heart-rate samples as one packed block, and the merge of a batch into it (pure).
// Samples are sorted by instant and, within an instant, by origin (compareOrigins), each origin once with its
// latest value: the first sample of each instant is the one preferSample keeps.
import { ByteReader, ByteWriter } from "./packed";
import type { Stretch } from "../transform/zones";

export const DAY_S = 86_400;

/** A day's samples, struct-of-arrays; `origin` is the ledger's integer id for (source, device). */
export interface DaySamples {
  length: number;
  ts: Float64Array;
  origin: Uint32Array;
  bpm: Float64Array;
}

/** The merged timeline of a day: one (instant, bpm) per distinct instant. */
export interface DayTimeline {
  length: number;
  ts: Float64Array;
  bpm: Float64Array;
}

export const dayOf = (ts: number) => Math.floor(ts / DAY_S);

export function emptySamples(capacity = 0): DaySamples {
  return { length: 0, ts: new Float64Array(capacity), origin: new Uint32Array(capacity), bpm: new Float64Array(capacity) };
}

/** count, then per sample: seconds since the previous one (the first: since midnight UTC), origin, bpm. */
export function encodeSamples(day: number, samples: DaySamples): Uint8Array {
  const out = new ByteWriter(6 * samples.length + 8);
  out.uint(samples.length);
  writeSamples(out, samples, day * DAY_S);
  return out.bytes();
}

/** Samples after `previous` (the day's start or the sample before them): delta, origin and bpm each. */
function writeSamples(out: ByteWriter, samples: DaySamples, previous: number) {
  for (let i = 0; i < samples.length; i++) {
    out.uint(samples.ts[i]! - previous);
    out.uint(samples.origin[i]!);
    out.bpm(samples.bpm[i]!);
    previous = samples.ts[i]!;
  }
}

/**
 * A place in a day's block a walk may start from: the byte offset of sample `index`, the instant before it
 * (`ts`) and that instant's place in the timeline (`instant`).
 */
export interface BlockMark {
  at: number;
  index: number;
  ts: number;
  instant: number;
}

/**
 * The block of `held` (whose last instant is `heldLastTs`, its `heldInstants`-th) followed by `later`, all after
 * that instant: the same bytes encodeSamples gives for the two together, without decoding the held samples, and
 * the mark where `later` starts.
 */
export function appendSamples(held: Uint8Array, heldLastTs: number, heldInstants: number, later: DaySamples): { bytes: Uint8Array; mark: BlockMark } {
  const reader = new ByteReader(held);
  const count = reader.uint();
  const out = new ByteWriter(held.length + 16 * later.length + 8);
  out.uint(count + later.length);
  out.raw(held.subarray(reader.offset));
  const mark = { at: out.length, index: count, ts: heldLastTs, instant: heldInstants - 1 };
  writeSamples(out, later, heldLastTs);
  return { bytes: out.bytes(), mark };
}

export function encodeMark(day: number, mark: BlockMark): Uint8Array {
  const out = new ByteWriter(24);
  for (const n of [mark.at, mark.index, mark.ts - day * DAY_S, mark.instant + 1]) out.uint(n);
  return out.bytes();
}

export function decodeMark(day: number, bytes: Uint8Array | null): BlockMark | null {
  if (!bytes) return null;
  const reader = new ByteReader(bytes);
  return { at: reader.uint(), index: reader.uint(), ts: day * DAY_S + reader.uint(), instant: reader.uint() - 1 };
}

/**
 * The day's timeline from `since` on (its instants at or after it, with the zone each was credited) and the
 * timeline instant before it on that day (null when none), walking the block without decoding what comes before
 * (from `mark` on when `since` comes after it: a sync of the latest minutes is not walked from midnight).
 */
export function timelineFrom(day: number, bytes: Uint8Array, zones: Uint8Array, since: number, mark: BlockMark | null = null): { before: number | null; stretch: Stretch } {
  const reader = new ByteReader(bytes);
  const count = reader.uint();
  let ts = day * DAY_S;
  let before: number | null = null;
  let instant = -1;
  let first = 0;
  if (mark && since > mark.ts) {
    reader.offset = mark.at;
    first = mark.index;
    ts = mark.ts;
    before = mark.instant < 0 ? null : mark.ts;
    instant = mark.instant;
  }
  for (let i = first; i < count; i++) {
    const next = ts + reader.uint();
    if (next >= since) {
      // the rest, from sample i (its delta is read), is decoded; every instant before it is < since
      const rest = emptySamples(count - i);
      rest.length = count - i;
      rest.ts[0] = next;
      rest.origin[0] = reader.uint();
      rest.bpm[0] = reader.bpm();
      for (let k = 1; k < rest.length; k++) {
        rest.ts[k] = rest.ts[k - 1]! + reader.uint();
        rest.origin[k] = reader.uint();
        rest.bpm[k] = reader.bpm();
      }
      const timeline = timelineOf(rest);
      return { before, stretch: { ...timeline, zones: zones.subarray(instant + 1, instant + 1 + timeline.length) } };
    }
    ts = next;
    reader.uint();
    reader.bpm();
    if (ts !== before) {
      instant++;
      before = ts;
    }
  }
  return { before, stretch: { length: 0, ts: new Float64Array(0), bpm: new Float64Array(0), zones: new Uint8Array(0) } };
}

export function decodeSamples(day: number, bytes: Uint8Array): DaySamples {
  const reader = new ByteReader(bytes);
  const samples = emptySamples(reader.uint());
  samples.length = samples.ts.length;
  let ts = day * DAY_S;
  for (let i = 0; i < samples.length; i++) {
    ts += reader.uint();
    samples.ts[i] = ts;
    samples.origin[i] = reader.uint();
    samples.bpm[i] = reader.bpm();
  }
  return samples;
}

export function timelineOf(samples: DaySamples): DayTimeline {
  const ts = new Float64Array(samples.length);
  const bpm = new Float64Array(samples.length);
  let n = 0;
  for (let i = 0; i < samples.length; i++) {
    if (n && ts[n - 1] === samples.ts[i]) continue;
    ts[n] = samples.ts[i]!;
    bpm[n++] = samples.bpm[i]!;
  }
  return { length: n, ts, bpm };
}

export interface DayMerge {
  merged: DaySamples;
  accepted: number;
  duplicates: number;
  /** First and last instant whose sample was added or revised, or null when nothing changed. */
  firstChanged: number | null;
  lastChanged: number | null;
}

/**
 * Merges `incoming` (sorted by instant, then `order`, arrival order kept among equal keys) into the held
 * block. A key (instant, origin) already held with the same bpm is a duplicate; with another bpm it is a
 * revision and replaces the held value, as does a later entry for the same key in the same batch (preferSample).
 */
export function mergeDay(held: DaySamples, incoming: DaySamples, order: (a: number, b: number) => number): DayMerge {
  const merged = emptySamples(held.length + incoming.length);
  let accepted = 0;
  let duplicates = 0;
  let firstChanged: number | null = null;
  let lastChanged: number | null = null;
  let i = 0;
  let j = 0;
  let n = 0;
  const push = (ts: number, origin: number, bpm: number) => {
    merged.ts[n] = ts;
    merged.origin[n] = origin;
    merged.bpm[n++] = bpm;
  };
  while (i < held.length || j < incoming.length) {
    const heldFirst =
      j >= incoming.length ||
      (i < held.length &&
        (held.ts[i]! < incoming.ts[j]! || (held.ts[i] === incoming.ts[j] && order(held.origin[i]!, incoming.origin[j]!) < 0)));
    if (heldFirst) {
      push(held.ts[i]!, held.origin[i]!, held.bpm[i]!);
      i++;
      continue;
    }
    const ts = incoming.ts[j]!;
    const origin = incoming.origin[j]!;
    const isHeld = i < held.length && held.ts[i] === ts && held.origin[i] === origin;
    let exists = isHeld;
    let bpm = isHeld ? held.bpm[i]! : 0;
    for (; j < incoming.length && incoming.ts[j] === ts && incoming.origin[j] === origin; j++) {
      if (exists && incoming.bpm[j] === bpm) {
        duplicates++;
        continue;
      }
      accepted++;
      bpm = incoming.bpm[j]!;
      exists = true;
      if (firstChanged === null) firstChanged = ts;
      lastChanged = ts;
    }
    push(ts, origin, bpm);
    if (isHeld) i++;
  }
  merged.length = n;
  return { merged, accepted, duplicates, firstChanged, lastChanged };
}
