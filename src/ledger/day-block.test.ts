import { describe, expect, test } from "bun:test";
import { DAY_S, decodeSamples, emptySamples, encodeSamples, mergeDay, timelineOf, type DaySamples } from "./day-block";

const DAY = 20_454; // 2026-01-01
const block = (rows: [number, number, number][]): DaySamples => {
  const out = emptySamples(rows.length);
  out.length = rows.length;
  rows.forEach(([ts, origin, bpm], i) => {
    out.ts[i] = DAY * DAY_S + ts;
    out.origin[i] = origin;
    out.bpm[i] = bpm;
  });
  return out;
};
const rows = (s: DaySamples) => Array.from({ length: s.length }, (_, i) => [s.ts[i]! - DAY * DAY_S, s.origin[i]!, s.bpm[i]!]);
const byId = (a: number, b: number) => a - b;

describe("day block", () => {
  test("round-trips exact tenths compactly and any other bpm exactly", () => {
    const samples = block([[0, 1, 130], [0, 2, 72.5], [59, 1, 71.33333333333333], [86_399, 300, 0.1 + 0.2]]);
    const bytes = encodeSamples(DAY, samples);
    expect(rows(decodeSamples(DAY, bytes))).toEqual(rows(samples));
    // count 1 + (1 + 1 + 2) + (1 + 1 + 2) + (1 + 1 + 1 + 8) + (3 + 2 + 1 + 8)
    expect(bytes.length).toBe(1 + 4 + 4 + 11 + 14);
  });

  test("a merge keeps every key once: a repeat is a duplicate, a new value replaces, the later of two in one batch wins", () => {
    const held = block([[10, 1, 130], [20, 1, 131]]);
    const incoming = block([[10, 1, 130], [15, 2, 90], [20, 1, 140], [20, 1, 150], [30, 1, 100]]);
    const merge = mergeDay(held, incoming, byId);
    expect(rows(merge.merged)).toEqual([[10, 1, 130], [15, 2, 90], [20, 1, 150], [30, 1, 100]]);
    expect([merge.accepted, merge.duplicates, merge.firstChanged! - DAY * DAY_S, merge.lastChanged! - DAY * DAY_S]).toEqual([4, 1, 15, 30]);
  });

  test("the timeline keeps the first sample of each instant (the block's order is the preference)", () => {
    const merged = mergeDay(block([[10, 2, 120]]), block([[10, 1, 180], [11, 2, 121]]), byId).merged;
    const timeline = timelineOf(merged);
    expect([Array.from(timeline.ts.subarray(0, timeline.length), (t) => t - DAY * DAY_S), Array.from(timeline.bpm.subarray(0, timeline.length))]).toEqual([
      [10, 11],
      [180, 121],
    ]);
  });
});
