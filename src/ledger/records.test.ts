import { describe, expect, test } from "bun:test";
import type { SleepNight } from "../normalize/model";
import { Ledger } from "./ledger";

const H = 3600;
const night = (source: string, start: number, end: number, stageSeconds: SleepNight["stageSeconds"]): SleepNight => ({ source, start, end, stageSeconds });

describe("nights", () => {
  test("the same night re-sent with another start (no inBedStart this time) replaces it instead of adding to it", () => {
    const ledger = new Ledger(":memory:");
    ledger.ingest("me", [], [], undefined, { gauges: [], workouts: [], sleep: [night("Watch", 1000 * H - 600, 1008 * H, { deep: 5400, in_bed: 8 * H + 600 })] });
    ledger.ingest("me", [], [], undefined, { gauges: [], workouts: [], sleep: [night("Watch", 1000 * H, 1008 * H, { deep: 5400 })] });
    expect(ledger.records.update("me").nights.map((n) => [n.start, n.stageSeconds.deep])).toEqual([[1000 * H, 5400]]);
  });

  test("segments re-sent in windows that start mid-night add to the night, never replace it", () => {
    const ledger = new Ledger(":memory:");
    const base = 1000 * H; // 23:00
    const seg = (from: number, to: number, stage: "core" | "deep" | "rem") => ({ start: base + from * H, end: base + to * H, stage });
    const all = [seg(0, 2, "core"), seg(2, 3, "deep"), seg(3, 5, "core"), seg(5, 7, "rem")];
    const post = (segments: typeof all) =>
      ledger.ingest("me", [], [], undefined, {
        gauges: [],
        workouts: [],
        sleep: [{ ...night("Watch", segments[0]!.start, segments.at(-1)!.end, {}), segments }],
      });
    post(all.slice(0, 2)); // 23:00–02:00
    post(all.slice(2)); // 02:00–06:00
    post(all.slice(1)); // 01:00–06:00 again
    // one night 23:00–06:00: core 2 h + 2 h, deep 1 h, rem 2 h
    expect(ledger.records.update("me").nights.map((n) => [n.start - base, n.end - base, n.stageSeconds.core, n.stageSeconds.deep, n.stageSeconds.rem])).toEqual([
      [0, 7 * H, 4 * H, H, 2 * H],
    ]);
  });

  test("only the nights new segments can join are rebuilt: a bridge joins two nights, a late one lands alone, in any order", () => {
    const ledger = new Ledger(":memory:");
    const base = 1000 * H;
    const seg = (from: number, to: number, stage: "core" | "deep" | "rem" = "core") => ({ start: base + from * H, end: base + to * H, stage });
    const post = (...segments: ReturnType<typeof seg>[]) =>
      ledger.ingest("me", [], [], undefined, {
        gauges: [],
        workouts: [],
        sleep: segments.map((s) => ({ ...night("Watch", s.start, s.end, {}), segments: [s] })),
      });
    // nights at 0–2, 6–8 (4 h apart: two nights), 48–50 and a far older one at -100
    post(seg(6, 8), seg(0, 2), seg(48, 50));
    post(seg(-100, -99, "deep"));
    const spans = () => ledger.records.update("me").nights.map((n) => [(n.start - base) / H, (n.end - base) / H, n.stageSeconds.core / H, n.stageSeconds.deep / H]);
    expect(spans()).toEqual([[-100, -99, 0, 1], [0, 2, 2, 0], [6, 8, 2, 0], [48, 50, 2, 0]]);
    // 3–5 is within 3 h of both: one night 0–8 with 2 + 2 + 2 h of core
    post(seg(3, 5));
    expect(spans()).toEqual([[-100, -99, 0, 1], [0, 8, 6, 0], [48, 50, 2, 0]]);
  });

  test("of overlapping nights from two sources one counts: the one with the most staged sleep", () => {
    const ledger = new Ledger(":memory:");
    const sleep = [
      night("Sleep app", 1000 * H, 1007 * H, { asleep: 7 * H }), // unstaged
      night("Watch", 1000 * H + 600, 1007 * H, { deep: H, core: 4 * H, rem: H }),
      night("Watch", 1020 * H, 1021 * H, { core: H }), // an afternoon nap, alone
    ];
    ledger.ingest("me", [], [], undefined, { gauges: [], workouts: [], sleep });
    expect(ledger.records.update("me").nights.map((n) => [n.source, n.start])).toEqual([
      ["Watch", 1000 * H + 600],
      ["Watch", 1020 * H],
    ]);
  });
});

describe("gauges", () => {
  test("a person's metrics and each metric's units are bounded; what is past the bound is dropped and counted", () => {
    const ledger = new Ledger(":memory:");
    const gauge = (name: string, unit: string, ts = 1_767_225_600) => ({ name, unit, ts, value: 1, source: "" });
    // 300 metrics are kept; the 301st and later are not
    const many = Array.from({ length: 305 }, (_, i) => gauge(`hae_m${i}`, "count"));
    const first = ledger.ingest("me", [], [], undefined, { gauges: many, sleep: [], workouts: [] });
    // a known metric in a fifth unit is dropped too; a known metric in a known unit still lands
    const units = ["a", "b", "c", "d", "e"].map((u, i) => gauge("hae_m0", u, 1_767_225_600 + i + 1));
    const second = ledger.ingest("me", [], [], undefined, { gauges: units, sleep: [], workouts: [] });
    expect([first.recordsChanged, first.recordsDropped, second.recordsChanged, second.recordsDropped]).toEqual([300, 5, 3, 2]);
  });
});

describe("workouts", () => {
  test("a person has at most 40 workout types, across payloads; past that, new types count as other", () => {
    const ledger = new Ledger(":memory:");
    const workout = (i: number) => ({ id: `W${i}`, name: `Sport ${i}`, start: 1_767_225_600 + i * 3600, end: 1_767_225_600 + i * 3600 + 600, durationS: 600 });
    ledger.ingest("me", [], [], undefined, { gauges: [], sleep: [], workouts: Array.from({ length: 30 }, (_, i) => workout(i)) });
    ledger.ingest("me", [], [], undefined, { gauges: [], sleep: [], workouts: Array.from({ length: 15 }, (_, i) => workout(30 + i)) });
    const types = ledger.records.update("me").workouts!.map((w) => w.type);
    // sport_0 … sport_39 keep their type; sport_40 … sport_44 become other
    expect([new Set(types).size, types.slice(38)]).toEqual([41, ["sport_38", "sport_39", "other", "other", "other", "other", "other"]]);
  });

  test("a workout re-sent unchanged, or with totals missing, is no change; a new or revised field is one", () => {
    const ledger = new Ledger(":memory:");
    const run = { id: "R1", name: "Running", start: 1_767_225_600, end: 1_767_227_400, durationS: 1800, distanceKm: 5, avgHeartRate: 150 };
    const changed = (w: typeof run | Omit<typeof run, "distanceKm" | "avgHeartRate"> & Partial<typeof run>) =>
      ledger.ingest("me", [], [], undefined, { gauges: [], sleep: [], workouts: [w] }).recordsChanged;
    const { distanceKm: _, avgHeartRate: __, ...partial } = run;
    expect([changed(run), changed(run), changed(partial), changed({ ...partial, maxHeartRate: 170 }), changed({ ...run, avgHeartRate: 151 }), changed({ ...run, end: run.end + 1 })]).toEqual([
      1, 0, 0, 1, 1, 1,
    ]);
    // the partial payloads filled maxHeartRate without wiping distance; the last full one set the average back to 150
    expect(ledger.records.update("me").workouts!.map((w) => [w.distanceKm, w.avgHeartRate, w.maxHeartRate, w.end - w.start])).toEqual([[5, 150, 170, 1801]]);
  });
});
