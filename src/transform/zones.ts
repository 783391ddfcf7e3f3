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

/** Of several samples at one instant, the one the timeline keeps: deterministic whatever the arrival order. */
export function preferSample(a: HeartRateSample, b: HeartRateSample): HeartRateSample {
  if (a.source !== b.source) return a.source < b.source ? a : b;
  if (a.device !== b.device) return a.device < b.device ? a : b;
  return a.bpm <= b.bpm ? a : b;
}

/**
 * Credits for a stretch of the merged timeline. `samples` must be sorted by ts with one sample per ts;
 * `previousTs` is the timeline's sample just before them (null when they start the user's history).
 * dt = min(ts_i - ts_{i-1}, 10 s), credited to the later sample's zone at the later sample's instant.
 */
export function creditTimeline(
  samples: readonly { ts: number; bpm: number }[],
  previousTs: number | null,
  boundsBpm: number[],
): Credit[] {
  const credits: Credit[] = new Array(samples.length);
  let prev = previousTs;
  for (let i = 0; i < samples.length; i++) {
    const { ts, bpm } = samples[i]!;
    const seconds = prev === null ? 0 : Math.min(ts - prev, MAX_CREDIT_S);
    credits[i] = { ts, bpm, zone: zoneIndex(bpm, boundsBpm), seconds };
    prev = ts;
  }
  return credits;
}

/**
 * The seed's transform over one batch on its own: sort by ts, drop a sample whose ts is not after the
 * previous one, drop invalid ones, credit the rest. The reference the store contract and the transform
 * bench hold the server to; the server applies the same rules on the merged timeline of everything ever
 * received (see ledger), where a revised value for one (instant, source) replaces the old one.
 */
export function transformBatch(samples: readonly HeartRateSample[], profile: ZoneProfile, now: number) {
  let invalid = 0;
  const valid: HeartRateSample[] = [];
  for (const sample of samples) {
    if (sampleProblem(sample, now)) invalid++;
    else valid.push(sample);
  }
  // exports arrive in time order nearly always: then there is nothing to sort and nothing to drop
  const ordered = isStrictlyIncreasing(valid);
  let timeline = valid;
  let duplicates = 0;
  if (!ordered) {
    valid.sort((a, b) => a.ts - b.ts || (preferSample(a, b) === a ? -1 : 1));
    timeline = [];
    for (const sample of valid) {
      if (timeline.length && timeline[timeline.length - 1]!.ts >= sample.ts) duplicates++;
      else timeline.push(sample);
    }
  }
  const credits = creditTimeline(timeline, null, zoneBoundsBpm(profile));
  return { credits, invalid, duplicates, zoneSeconds: sumZones(credits) };
}

export function sumZones(credits: readonly Credit[]): ZoneSeconds {
  const byIndex = [0, 0, 0, 0, 0];
  for (const c of credits) byIndex[c.zone]! += c.seconds;
  return { z1: byIndex[0]!, z2: byIndex[1]!, z3: byIndex[2]!, z4: byIndex[3]!, z5: byIndex[4]! };
}

function isStrictlyIncreasing(samples: readonly HeartRateSample[]): boolean {
  for (let i = 1; i < samples.length; i++) if (samples[i]!.ts <= samples[i - 1]!.ts) return false;
  return true;
}
