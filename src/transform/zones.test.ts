import { describe, expect, test } from "bun:test";
import type { HeartRateSample } from "../normalize/model";
import { creditTimeline, preferSample, sampleProblem, transformBatch, zoneBoundsBpm, zoneIndex, type ZoneProfile } from "./zones";

const maxProfile: ZoneProfile = { mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] };
const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const T0 = NOW - 3600;
const hr = (ts: number, bpm: number, source = "watch", device = ""): HeartRateSample => ({ ts, bpm, source, device });

describe("zones", () => {
  test("bounds are lower-inclusive: with HR_MAX=200, 120 bpm is z2 and 140 bpm is z3", () => {
    const bounds = zoneBoundsBpm(maxProfile); // 120, 140, 160, 180
    expect([119.9, 120, 139, 140, 159, 160, 179, 180, 250].map((bpm) => zoneIndex(bpm, bounds) + 1)).toEqual([
      1, 2, 2, 3, 3, 4, 4, 5, 5,
    ]);
  });

  test("karvonen uses the heart-rate reserve: RHR + f·(HR_MAX − RHR)", () => {
    const bounds = zoneBoundsBpm({ ...maxProfile, mode: "karvonen", hrMax: 190, rhr: 50 });
    // 50 + 0.6·140 = 134, 50 + 0.7·140 = 148, 50 + 0.8·140 = 162, 50 + 0.9·140 = 176
    expect(bounds.map((b) => Math.round(b * 1e6) / 1e6)).toEqual([134, 148, 162, 176]);
    expect([133, 134, 148, 175, 176].map((bpm) => zoneIndex(bpm, bounds) + 1)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("transformBatch", () => {
  test("the seed's fixture: 121 samples at 5 s spacing at 130 bpm (65 % of 200) give 600 s of z2", () => {
    const samples = Array.from({ length: 121 }, (_, i) => hr(T0 + 5 * i, 130));
    const out = transformBatch(samples, maxProfile, NOW);
    // 120 intervals × 5 s; the first sample has no predecessor and earns nothing
    expect(out.zoneSeconds).toEqual({ z1: 0, z2: 600, z3: 0, z4: 0, z5: 0 });
    expect(out.credits.at(-1)).toEqual({ ts: T0 + 600, bpm: 130, zone: 1, seconds: 5 });
  });

  test("gaps are capped at 10 s, and the credit goes to the later sample's zone", () => {
    const out = transformBatch([hr(T0, 100), hr(T0 + 4, 150), hr(T0 + 604, 170), hr(T0 + 607, 185)], maxProfile, NOW);
    // 150 bpm (z3) earns 4 s; 170 (z4) earns min(600, 10) = 10 s; 185 (z5) earns 3 s
    expect(out.zoneSeconds).toEqual({ z1: 0, z2: 0, z3: 4, z4: 10, z5: 3 });
  });

  test("unsorted input is sorted; repeated and same-instant samples are dropped and counted", () => {
    const out = transformBatch([hr(T0 + 10, 130), hr(T0, 130), hr(T0 + 5, 130), hr(T0 + 5, 130), hr(T0 + 5, 131, "phone")], maxProfile, NOW);
    expect({ duplicates: out.duplicates, seconds: out.zoneSeconds.z2, kept: out.credits.map((c) => c.ts - T0) }).toEqual({
      duplicates: 2,
      seconds: 10,
      kept: [0, 5, 10],
    });
  });

  test("bpm outside 25–250, fractional, ancient or far-future timestamps are dropped and counted", () => {
    const out = transformBatch(
      [hr(T0, 24), hr(T0 + 1, 251), hr(T0 + 2, Number.NaN), hr(T0 + 3.5, 100), hr(946684799, 100), hr(NOW + 3 * 86400, 100), hr(T0 + 5, 25), hr(T0 + 6, 250)],
      maxProfile,
      NOW,
    );
    expect({ invalid: out.invalid, kept: out.credits.map((c) => c.bpm) }).toEqual({ invalid: 6, kept: [25, 250] });
  });

  test("milliseconds sent where seconds are expected are refused, not read as the year 57000", () => {
    expect(sampleProblem(hr(T0 * 1000, 100), NOW)).toBe("bad_timestamp");
  });
});

describe("creditTimeline", () => {
  test("continues from the previous instant of the merged timeline", () => {
    // a sync starting 5 s after the previous one ended credits those 5 s
    // a sync starting 5 s after the previous one ended credits those 5 s; then 12 s earns the cap of 10
    const stretch = { length: 2, ts: Float64Array.of(T0 + 5, T0 + 17), bpm: Float64Array.of(130, 150) };
    expect(creditTimeline(stretch, T0, zoneBoundsBpm(maxProfile))).toEqual([
      { ts: T0 + 5, bpm: 130, zone: 1, seconds: 5 },
      { ts: T0 + 17, bpm: 150, zone: 2, seconds: 10 },
    ]);
    // zones held with the stretch (credited when merged, under older zones) are kept
    expect(creditTimeline({ ...stretch, zones: Uint8Array.of(3, 4) }, null).map((c) => [c.zone, c.seconds])).toEqual([[3, 0], [4, 10]]);
  });
});

describe("preferSample: which of two readings at one instant counts", () => {
  test("of one source and device the later is a revision and wins, whether it is higher or lower", () => {
    expect(preferSample(hr(T0, 120), hr(T0, 150)).bpm).toBe(150);
    expect(preferSample(hr(T0, 150), hr(T0, 120)).bpm).toBe(120);
  });

  test("of two origins the least source, then device, counts whatever arrived first", () => {
    const [phone, watch, watchA] = [hr(T0, 90, "phone"), hr(T0, 140, "watch"), hr(T0, 100, "watch", "a")];
    expect([preferSample(phone, watch), preferSample(watch, phone), preferSample(watchA, watch), preferSample(watch, watchA)]).toEqual([phone, phone, watch, watch]);
  });

  test("transformBatch folds a batch with it: a revised same-instant reading replaces the first one", () => {
    // 130 bpm (z2) at T0+5 revised to 150 (z3): the 5 s up to T0+5 are z3, the 5 s to T0+10 z2
    const out = transformBatch([hr(T0, 130), hr(T0 + 5, 130), hr(T0 + 10, 130), hr(T0 + 5, 150)], maxProfile, NOW);
    expect({ duplicates: out.duplicates, zones: out.zoneSeconds }).toEqual({ duplicates: 1, zones: { z1: 0, z2: 5, z3: 5, z4: 0, z5: 0 } });
  });
});
