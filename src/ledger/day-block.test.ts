import { describe, expect, test } from "bun:test";
import { appendSamples, DAY_S, decodeMark, decodeSamples, emptySamples, encodeMark, encodeSamples, mergeDay, timelineFrom, timelineOf, type DaySamples } from "./day-block";

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

  test("appending samples after the last instant gives the bytes of encoding them all at once", () => {
    const all = [[5, 1, 130], [5, 2, 72.5], [60, 1, 0.1 + 0.2], [61, 1, 90], [61, 3, 91], [86_399, 1, 100]] as [number, number, number][];
    for (let cut = 0; cut <= all.length; cut++) {
      if (cut && cut < all.length && all[cut]![0] === all[cut - 1]![0]) continue; // an append starts after the last instant
      const held = encodeSamples(DAY, block(all.slice(0, cut)));
      const lastTs = cut ? DAY * DAY_S + all[cut - 1]![0] : DAY * DAY_S;
      const heldInstants = timelineOf(block(all.slice(0, cut))).length;
      const { bytes, mark } = appendSamples(held, lastTs, heldInstants, block(all.slice(cut)));
      expect(bytes).toEqual(encodeSamples(DAY, block(all)));
      // a walk from the mark gives what a walk from midnight gives, for every instant after the held ones
      const zones = Uint8Array.from({ length: timelineOf(block(all)).length }, (_, i) => i % 5);
      for (let since = lastTs + 1; since <= DAY * DAY_S + 86_400; since += since < lastTs + 100 ? 1 : 997) {
        expect(timelineFrom(DAY, bytes, zones, since, decodeMark(DAY, encodeMark(DAY, mark)))).toEqual(timelineFrom(DAY, bytes, zones, since));
      }
      // and one at or before the mark's instant walks from midnight
      expect(timelineFrom(DAY, bytes, zones, lastTs, mark)).toEqual(timelineFrom(DAY, bytes, zones, lastTs));
    }
  });

  test("the timeline from an instant: the instants at or after it, their zones, and the instant before", () => {
    const samples = block([[5, 1, 130], [5, 2, 72], [60, 1, 80], [61, 2, 90], [61, 3, 91], [300, 1, 100]]);
    const bytes = encodeSamples(DAY, samples);
    const zones = Uint8Array.from([4, 0, 1, 2]); // one per instant: 5, 60, 61, 300
    const at = (since: number) => {
      const { before, stretch } = timelineFrom(DAY, bytes, zones, DAY * DAY_S + since);
      const ts = Array.from(stretch.ts.subarray(0, stretch.length), (t) => t - DAY * DAY_S);
      return { before: before === null ? null : before - DAY * DAY_S, ts, bpm: Array.from(stretch.bpm.subarray(0, stretch.length)), zones: Array.from(stretch.zones!) };
    };
    expect(at(0)).toEqual({ before: null, ts: [5, 60, 61, 300], bpm: [130, 80, 90, 100], zones: [4, 0, 1, 2] });
    expect(at(61)).toEqual({ before: 60, ts: [61, 300], bpm: [90, 100], zones: [1, 2] });
    expect(at(62)).toEqual({ before: 61, ts: [300], bpm: [100], zones: [2] });
    expect(at(301)).toEqual({ before: 300, ts: [], bpm: [], zones: [] });
  });
});
