// Heart-rate samples → zone credits: the seed's rules, pure and order-independent.
import type { HeartRateSample } from "../normalize/model";

export interface ZoneProfile {
  mode: "max" | "karvonen";
  hrMax: number;
  rhr: number;
  /** Lower bounds of z2..z5 as fractions (of HRmax, or of the reserve for karvonen). */
  bounds: number[];
}

export const ZONES = ["z1", "z2", "z3", "z4", "z5"] as const;
export type ZoneName = (typeof ZONES)[number];
export type ZoneSeconds = Record<ZoneName, number>;

/** The seed's gap rule: a sample is credited the time since the previous one, at most this. */
export const MAX_CREDIT_S = 10;
export const MIN_BPM = 25;
export const MAX_BPM = 250;
/** Samples before 2000-01-01 are certainly wrong (or milliseconds read as seconds the other way). */
export const MIN_TS = 946684800;
/** VM drops samples more than 2 days in the future; so do we, and count them. */
export const MAX_FUTURE_S = 2 * 86400;

/** One point of the merged timeline with what it earns. */
export interface Credit {
  ts: number;
  bpm: number;
  zone: number; // 0..4 = z1..z5
  seconds: number;
}

export const emptyZoneSeconds = (): ZoneSeconds => ({ z1: 0, z2: 0, z3: 0, z4: 0, z5: 0 });

/** Lower bpm bound of z2..z5, lower-inclusive. */
export function zoneBoundsBpm(profile: ZoneProfile): number[] {
  const { mode, hrMax, rhr, bounds } = profile;
  return bounds.map((f) => (mode === "karvonen" ? rhr + f * (hrMax - rhr) : f * hrMax));
}

export function zoneIndex(bpm: number, boundsBpm: number[]): number {
  let zone = 0;
  // a float product like 0.7*200 = 140.00000000000003 must not push 140 bpm down a zone
  while (zone < boundsBpm.length && bpm >= boundsBpm[zone]! - 1e-9) zone++;
  return zone;
}

export type SampleProblem = "bpm_out_of_range" | "bad_timestamp";

/** Why a sample can never count, or null. `now` is unix seconds, passed in. */
export function sampleProblem(sample: HeartRateSample, now: number): SampleProblem | null {
  const { ts, bpm } = sample;
  if (!Number.isInteger(ts) || ts < MIN_TS || ts > now + MAX_FUTURE_S) return "bad_timestamp";
  if (!Number.isFinite(bpm) || bpm < MIN_BPM || bpm > MAX_BPM) return "bpm_out_of_range";
  return null;
}

/** Who sent a reading. */
export interface Origin {
  source: string;
  device: string;
}

/** The order of origins at one instant: the least source, then device (JS string order, as SQLite orders TEXT). */
export function compareOrigins(a: Origin, b: Origin): number {
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  if (a.device !== b.device) return a.device < b.device ? -1 : 1;
  return 0;
}

/**
 * THE rule for two readings at one instant, `earlier` received before `later`: of one origin the later is a
 * revision and replaces the earlier (HAE re-sends a window with corrected values); of two, the least origin
 * counts, whatever arrived first. Every path (hook, replay, import, summarize) folds an instant's readings with it.
 */
export function preferSample<S extends Origin>(earlier: S, later: S): S {
  return compareOrigins(earlier, later) < 0 ? earlier : later;
}

/** The seed's gap rule: what a timeline instant earns after the one before it (nothing when it starts the history). */
export function creditSeconds(ts: number, previousTs: number | null): number {
  return previousTs === null ? 0 : Math.min(ts - previousTs, MAX_CREDIT_S);
}

/** A stretch of the merged timeline, sorted by ts, one reading per instant, as columns (a packed day's too). */
export interface Stretch {
  length: number;
  ts: Float64Array;
  bpm: Float64Array;
  /** The zone each instant was credited when it was merged (the ledger's; zones may have changed since). */
  zones?: Uint8Array;
}

/**
 * Credits for a stretch of the merged timeline; `previousTs` is the timeline's instant just before it (null when
 * it starts the user's history). Each instant earns creditSeconds in its zone: the stretch's own, else by `boundsBpm`.
 */
export function creditTimeline(stretch: Stretch, previousTs: number | null, boundsBpm: number[] = []): Credit[] {
  const { ts, bpm, zones } = stretch;
  const credits: Credit[] = new Array(stretch.length);
  let previous = previousTs;
  for (let i = 0; i < stretch.length; i++) {
    credits[i] = { ts: ts[i]!, bpm: bpm[i]!, zone: zones ? zones[i]! : zoneIndex(bpm[i]!, boundsBpm), seconds: creditSeconds(ts[i]!, previous) };
    previous = ts[i]!;
  }
  return credits;
}

/**
 * The seed's transform over one batch on its own: drop invalid readings, sort by ts, keep one reading per
 * instant (preferSample, in arrival order), credit the rest. The reference the store contract and the
 * transform bench hold the server to; the ledger applies the same rules to everything ever received.
 */
export function transformBatch(samples: readonly HeartRateSample[], profile: ZoneProfile, now: number) {
  let invalid = 0;
  const stretch: Stretch = { length: 0, ts: new Float64Array(samples.length), bpm: new Float64Array(samples.length) };
  // exports arrive in time order nearly always: then the valid samples are the stretch, with nothing to sort or drop
  let unordered: HeartRateSample[] | null = null;
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i]!;
    if (sampleProblem(sample, now)) invalid++;
    else if (unordered) unordered.push(sample);
    else if (stretch.length && sample.ts <= stretch.ts[stretch.length - 1]!) {
      unordered = samples.slice(0, i + 1).filter((s) => !sampleProblem(s, now));
    } else {
      stretch.ts[stretch.length] = sample.ts;
      stretch.bpm[stretch.length++] = sample.bpm;
    }
  }
  let duplicates = 0;
  if (unordered) {
    // a stable sort: an instant's readings stay in arrival order for preferSample
    unordered.sort((a, b) => a.ts - b.ts);
    stretch.length = 0;
    let kept = unordered[0]!;
    for (let i = 1; i <= unordered.length; i++) {
      const sample = unordered[i];
      if (sample?.ts === kept.ts) {
        kept = preferSample(kept, sample);
        duplicates++;
        continue;
      }
      stretch.ts[stretch.length] = kept.ts;
      stretch.bpm[stretch.length++] = kept.bpm;
      if (sample) kept = sample;
    }
  }
  const credits = creditTimeline(stretch, null, zoneBoundsBpm(profile));
  return { credits, invalid, duplicates, zoneSeconds: sumZones(credits) };
}

export function sumZones(credits: readonly Credit[]): ZoneSeconds {
  const byIndex = [0, 0, 0, 0, 0];
  for (const c of credits) byIndex[c.zone]! += c.seconds;
  return { z1: byIndex[0]!, z2: byIndex[1]!, z3: byIndex[2]!, z4: byIndex[3]!, z5: byIndex[4]! };
}
