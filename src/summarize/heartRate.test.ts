import { expect, test } from "bun:test";
import { Ledger } from "../ledger/ledger";
import type { HeartRateSample } from "../normalize/model";
import { sampleProblem, sumZones, zoneBoundsBpm, type ZoneProfile } from "../transform/zones";
import { HeartRateSeries, histogramMedian } from "./heartRate";
import { seeded } from "./sampleData";

const profile: ZoneProfile = { mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] };
const NOW = 1767300000;
const T0 = 1767258000;

/** What the server credits for these samples received in this order (pipeline drops invalid ones, the ledger merges). */
function serverCredits(batches: HeartRateSample[][]) {
  const ledger = new Ledger(":memory:");
  try {
    for (const batch of batches) ledger.ingest("me", batch.filter((s) => !sampleProblem(s, NOW)), zoneBoundsBpm(profile));
    const { credits } = ledger.zoneRewrite("me", 0);
    return { zoneSeconds: sumZones(credits), credited: credits.length };
  } finally {
    ledger.close();
  }
}

function seriesOf(samples: readonly HeartRateSample[]): HeartRateSeries {
  const series = new HeartRateSeries();
  // a fresh origin object per reading, as a fixture per document would give: equal strings must rank equal
  for (const { ts, bpm, source, device } of samples) series.push(ts, bpm, { source, device });
  return series;
}

test("two sources at shared instants and a revised value: the server's choice per instant", () => {
  // file order; "Polar" < "Watch", so Polar/H10 wins an instant both have (if its reading is valid)
  const readings: [number, number, string, string][] = [
    [0, 100, "Watch", ""],
    [5, 130, "Watch", ""],
    [5, 150, "Polar", "H10"],
    [10, 170, "Watch", ""],
    [10, 110, "Polar", "H10"],
    [20, 125, "Watch", ""],
    [10, 190, "Polar", "H10"], // revision: replaces Polar's 110 at +10
    [20, 165, "Watch", ""], // revision: replaces Watch's 125 at +20
    [25, 300, "Polar", "H10"], // out of range: dropped, so Watch keeps +25
    [25, 120, "Watch", ""],
  ];
  const samples = readings.map(([dt, bpm, source, device]) => ({ ts: T0 + dt, bpm, source, device }));
  const facts = seriesOf(samples).facts(profile, NOW);
  expect({ ...facts, intervals: [...facts.intervals] }).toEqual({
    samples: 10,
    // +0 Watch 100 (first: 0 s) · +5 Polar 150 · +10 Polar 190 · +20 Watch 165 · +25 Watch 120
    credited: 5,
    minBpm: 100,
    maxBpm: 300,
    firstTs: T0,
    lastTs: T0 + 25,
    // bounds 120/140/160/180: +5 150 → z3 5 s; +10 190 → z5 5 s; +20 165 → z4 min(10, 10) = 10 s; +25 120 → z2 5 s
    zoneSeconds: { z1: 0, z2: 5, z3: 5, z4: 10, z5: 5 },
    // instants 0, 5, 10, 20, 25: intervals 5, 5, 10, 5; a 10 s interval is not a gap
    intervals: [[5, 3], [10, 1]],
    gaps: { count: 0, longestS: 0, longestFromTs: null },
    // readings beyond the first at +5 (1), +10 (2), +20 (1), +25 (1)
    duplicates: { count: 5, firstTs: T0 + 5 },
  });
  expect(serverCredits([samples])).toEqual({ zoneSeconds: facts.zoneSeconds, credited: 5 });
});

test("credits zones exactly as the server's ledger does, on messy input (sources, revisions, disorder, bad values)", () => {
  const random = seeded(7);
  const origins = [
    { source: "Watch", device: "" },
    { source: "Polar", device: "H10" },
    { source: "Polar", device: "" },
    { source: "apple", device: "" }, // after "Watch" in JS (and SQLite) order, before it in localeCompare
  ];
  const samples = Array.from({ length: 2000 }, () => ({
    ts: T0 + Math.floor(random() * 4000),
    bpm: Math.floor(random() * 260) + 10,
    ...origins[Math.floor(random() * origins.length)]!,
  }));
  const facts = seriesOf(samples).facts(profile, NOW);
  // received as 20 payloads in file order
  const batches = Array.from({ length: 20 }, (_, i) => samples.slice(i * 100, (i + 1) * 100));
  expect({ zoneSeconds: facts.zoneSeconds, credited: facts.credited }).toEqual(serverCredits(batches));
});

test("cadence, gaps and duplicates on the sorted timeline", () => {
  // arrival order 30, 0, 5, 5, 10: sorted 0, 5, 5, 10, 30 → intervals 5, 5, 20 (one gap over 10 s,
  // from 10), one duplicate at 5; median of [5, 5, 20] is 5
  const series = new HeartRateSeries();
  for (const [ts, bpm] of [[30, 100], [0, 100], [5, 130], [5, 120], [10, 100]]) series.push(T0 + ts!, bpm!);
  const facts = series.facts(profile, NOW);
  expect({ ...facts, intervals: [...facts.intervals] }).toEqual({
    samples: 5,
    credited: 4,
    minBpm: 100,
    maxBpm: 130,
    firstTs: T0,
    lastTs: T0 + 30,
    // 5 → 120 bpm kept (one origin: the later of the two in file order): z2 5 s; 10 → z1 5 s; 30 → z1 min(20, 10) = 10 s
    zoneSeconds: { z1: 15, z2: 5, z3: 0, z4: 0, z5: 0 },
    intervals: [[5, 2], [20, 1]],
    gaps: { count: 1, longestS: 20, longestFromTs: T0 + 10 },
    duplicates: { count: 1, firstTs: T0 + 5 },
  });
  expect(histogramMedian(facts.intervals)).toBe(5);
});

test("a long series is credited in chunks the same as in one piece", () => {
  // 10,000 readings one second apart at 130 bpm (z2): 9,999 s, across chunk boundaries
  const series = new HeartRateSeries();
  for (let i = 0; i < 10_000; i++) series.push(T0 + i, 130);
  const facts = series.facts(profile, NOW);
  expect([facts.credited, facts.zoneSeconds]).toEqual([10_000, { z1: 0, z2: 9_999, z3: 0, z4: 0, z5: 0 }]);
});

test("thins a long series to the lowest and highest reading per column", () => {
  const series = new HeartRateSeries();
  for (let i = 0; i < 10_000; i++) series.push(i, 60 + (i % 50));
  const points = series.thinned(100);
  expect(points.length).toBe(200);
  expect(Math.min(...points.map((p) => p.bpm))).toBe(60);
  expect(Math.max(...points.map((p) => p.bpm))).toBe(109);
});
