import { expect, test } from "bun:test";
import { transformBatch, zoneBoundsBpm, type ZoneProfile } from "../transform/zones";
import { HeartRateSeries, histogramMedian } from "./heartRate";
import { seeded } from "./sampleData";

const profile: ZoneProfile = { mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] };
const NOW = 1767300000;

test("credits zones exactly as transformBatch does, on messy input (duplicates, disorder, bad values)", () => {
  const random = seeded(7);
  const samples = Array.from({ length: 2000 }, () => ({
    ts: 1767258000 + Math.floor(random() * 4000),
    bpm: Math.floor(random() * 260) + 10,
    source: "",
    device: "",
  }));
  const series = new HeartRateSeries();
  for (const s of samples) series.push(s.ts, s.bpm);
  const facts = series.facts(zoneBoundsBpm(profile), NOW);
  const batch = transformBatch(samples, profile, NOW);
  expect(facts.zoneSeconds).toEqual(batch.zoneSeconds);
  expect(facts.credited).toBe(batch.credits.length);
});

test("cadence, gaps and duplicates on the sorted timeline", () => {
  // arrival order 30, 0, 5, 5, 10: sorted 0, 5, 5, 10, 30 → intervals 5, 5, 20 (one gap over 10 s,
  // from 10), one duplicate at 5; median of [5, 5, 20] is 5
  const series = new HeartRateSeries();
  for (const [ts, bpm] of [[30, 100], [0, 100], [5, 130], [5, 120], [10, 100]]) series.push(1767258000 + ts!, bpm!);
  const facts = series.facts([120, 140, 160, 180], NOW);
  expect({ ...facts, intervals: [...facts.intervals] }).toEqual({
    samples: 5,
    credited: 4,
    minBpm: 100,
    maxBpm: 130,
    firstTs: 1767258000,
    lastTs: 1767258030,
    // 5 → 120 bpm kept (the lower of the two at that instant): z2 5 s; 10 → z1 5 s; 30 → z1 min(20, 10) = 10 s
    zoneSeconds: { z1: 15, z2: 5, z3: 0, z4: 0, z5: 0 },
    intervals: [[5, 2], [20, 1]],
    gaps: { count: 1, longestS: 20, longestFromTs: 1767258010 },
    duplicates: { count: 1, firstTs: 1767258005 },
  });
  expect(histogramMedian(facts.intervals)).toBe(5);
});

test("thins a long series to the lowest and highest reading per column", () => {
  const series = new HeartRateSeries();
  for (let i = 0; i < 10_000; i++) series.push(i, 60 + (i % 50));
  const points = series.thinned(100);
  expect(points.length).toBe(200);
  expect(Math.min(...points.map((p) => p.bpm))).toBe(60);
  expect(Math.max(...points.map((p) => p.bpm))).toBe(109);
});
