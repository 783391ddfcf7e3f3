import { describe, expect, test } from "bun:test";
import { VmWriterState } from "./vm-state";

describe("writes VM acknowledged but may not have persisted", () => {
  test("a write before VM's current start is delivered again, however long VM was down", () => {
    const state = new VmWriterState(":memory:");
    state.rememberWrite("me", 1000, false, 100);
    state.rememberWrite("me", 900, true, 105);
    // VM crashed right after, stayed down ten minutes, started at 705; checked at 710
    expect(state.lostWrites(705, 710, 30)).toEqual([{ user: "me", zonesSince: 900, records: true }]);
    expect(state.lostWrites(705, 720, 30)).toEqual([]);
  });

  test("a write VM's current process has held for the window is forgotten; a younger one is kept", () => {
    const state = new VmWriterState(":memory:");
    state.rememberWrite("me", 1000, false, 100);
    state.rememberWrite("you", 2000, false, 125);
    // VM running since 50: at 135, the first is 35 s old (on disk), the second 10 s (kept)
    expect(state.lostWrites(50, 135, 30)).toEqual([]);
    // then VM restarts at 140: the kept one is delivered again, the forgotten one is not
    expect(state.lostWrites(140, 150, 30)).toEqual([{ user: "you", zonesSince: 2000, records: false }]);
  });
});

describe("generations per day", () => {
  test("a rewrite bumps only the days it reaches; new days start at 0; running out asks for a rebuild", () => {
    const state = new VmWriterState(":memory:");
    const day = 86400;
    expect(state.planZones("me", 10 * day, 12 * day + 5, 3)).toBe(true); // first write: days 10..12, nothing bumped
    expect(state.generations("me", [10 * day + 1, 12 * day + 1])).toEqual([0, 0]);
    expect(state.planZones("me", 11 * day + 7, 13 * day, 3)).toBe(true); // reaches back into day 11: days 11..12 bumped
    expect(state.generations("me", [10 * day + 1, 11 * day + 8, 12 * day + 1, 13 * day])).toEqual([0, 1, 1, 0]);
    expect(state.planZones("me", 12 * day, 13 * day, 3)).toBe(true); // since-1 is in day 11: days 11..13 bumped
    expect(state.planZones("me", 12 * day, 13 * day, 3)).toBe(true);
    expect(state.generations("me", [11 * day + 8, 12 * day + 1, 13 * day])).toEqual([3, 3, 2]);
    expect(state.planZones("me", 12 * day, 13 * day, 3)).toBe(false);
  });

  test("an interrupted rebuild is remembered until finished", () => {
    const state = new VmWriterState(":memory:");
    state.planZones("me", 100, 200, 3);
    state.startRebuild("me");
    expect(state.needsRebuild("me")).toBe(true);
    state.finishRebuild("me");
    expect(state.needsRebuild("me")).toBe(false);
  });
});
