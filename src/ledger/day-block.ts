// One user-day of heart-rate samples as one packed block, and the merge of a batch into it (pure).
// Samples are sorted by instant and, within an instant, by origin (compareOrigins), each origin once with its
// latest value: the first sample of each instant is the one preferSample keeps.
import { ByteReader, ByteWriter } from "./packed";

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
  const out = new ByteWriter();
  out.uint(samples.length);
  let previous = day * DAY_S;
  for (let i = 0; i < samples.length; i++) {
    out.uint(samples.ts[i]! - previous);
    out.uint(samples.origin[i]!);
    out.bpm(samples.bpm[i]!);
    previous = samples.ts[i]!;
  }
  return out.bytes();
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
