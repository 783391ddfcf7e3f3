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
