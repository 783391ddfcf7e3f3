import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

describe("zone days", () => {
  const day = 86400;
  test("a write that overwrites a day moves it to the next generation; a day only added to keeps its own; running out asks for a rebuild", () => {
    const state = new VmWriterState(":memory:");
    expect(state.plan("me", [{ day: 10, rewrite: false, lastSecond: 10 * day + 5 }, { day: 11, rewrite: false, lastSecond: 11 * day + 9 }], [10 * day + 4], 2)).toBe(true);
    // one number when every day spanned has the same generation
    expect(state.generations("me", [10 * day + 1, 11 * day + 1])).toBe(0);
    expect(state.plan("me", [{ day: 10, rewrite: true, lastSecond: 10 * day + 3 }], [], 2)).toBe(true);
    expect(state.plan("me", [{ day: 10, rewrite: true, lastSecond: 10 * day + 3 }], [], 2)).toBe(true);
    expect(state.generations("me", [10 * day + 1, 11 * day + 1])).toEqual([2, 0]);
    // the last second written never moves back; the reset point is remembered for later overwrites
    expect(state.day("me", 10)).toEqual({ generation: 2, lastWritten: 10 * day + 5, digest: null, endTs: null });
    expect(state.resets("me", 10 * day, 11 * day)).toEqual([10 * day + 4]);
    // a third overwrite of day 10 would pass 2: nothing is recorded, day 11 included
    expect(state.plan("me", [{ day: 11, rewrite: true, lastSecond: 11 * day + 9 }, { day: 10, rewrite: true, lastSecond: 10 * day + 5 }], [], 2)).toBe(false);
    expect(state.generations("me", [10 * day + 1, 11 * day + 1])).toEqual([2, 0]);
  });

  test("how a written day ended is found from the next; a lost write makes its days be drawn again", () => {
    const state = new VmWriterState(":memory:");
    state.plan("me", [{ day: 10, rewrite: false, lastSecond: 11 * day - 1 }], [], 3);
    state.daysWritten("me", [{ day: 10, digest: "abc", end: { ts: 11 * day - 1, zone: 2, value: 40 } }]);
    expect(state.endBefore("me", 12)).toEqual({ ts: 11 * day - 1, zone: 2, value: 40 });
    expect(state.endBefore("me", 10)).toBeNull();
    state.rememberWrite("me", 10 * day + 7, false, 100);
    expect(state.lostWrites(105, 110, 30)).toEqual([{ user: "me", zonesSince: 10 * day + 7, records: false }]);
    expect(state.day("me", 10)?.digest).toBeNull();
  });

  test("a day's digest after its write is kept without its own sync; every other commit (a plan's generation) still syncs", () => {
    const state = new VmWriterState(mkdtempSync(join(tmpdir(), "fitstack-vmstate-")));
    const synchronous = () => state["db"].query<{ synchronous: number }, []>("PRAGMA synchronous").get()!.synchronous;
    // 2 = FULL
    expect(synchronous()).toBe(2);
    state.plan("me", [{ day: 10, rewrite: false, lastSecond: 11 * day - 1 }], [], 3);
    state.daysWritten("me", [{ day: 10, digest: "abc", end: { ts: 11 * day - 1, zone: 2, value: 40 } }]);
    expect(synchronous()).toBe(2);
    expect(state.day("me", 10)).toEqual({ generation: 0, lastWritten: 11 * day - 1, digest: "abc", endTs: 11 * day - 1 });
    state.close();
  });

  test("an interrupted rebuild is remembered until finished", () => {
    const state = new VmWriterState(":memory:");
    state.plan("me", [{ day: 0, rewrite: false, lastSecond: 200 }], [], 3);
    state.startRebuild("me");
    expect(state.needsRebuild("me")).toBe(true);
    expect(state.day("me", 0)).toBeNull();
    state.finishRebuild("me");
    expect(state.needsRebuild("me")).toBe(false);
  });
});

test("a state file from the cumulative-counter layout makes every user's zone series be rebuilt once", () => {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-vmstate-old-"));
  const old = new Database(join(dir, "vm-writer.sqlite"), { create: true });
  old.exec(`
    CREATE TABLE zone_series (user TEXT PRIMARY KEY, last_emitted INTEGER NOT NULL, rebuild INTEGER NOT NULL);
    CREATE TABLE day_generation (user TEXT NOT NULL, day INTEGER NOT NULL, generation INTEGER NOT NULL, PRIMARY KEY (user, day)) WITHOUT ROWID;
    CREATE TABLE prepoint (user TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (user, ts)) WITHOUT ROWID;
    INSERT INTO zone_series VALUES ('me', 1000, 0), ('you', 2000, 0);
    INSERT INTO day_generation VALUES ('me', 0, 4);
    INSERT INTO prepoint VALUES ('me', 999);
  `);
  old.close();
  const state = new VmWriterState(dir);
  expect([state.needsRebuild("me"), state.needsRebuild("you"), state.needsRebuild("nobody")]).toEqual([true, true, false]);
  expect(state.resets("me", 0, 10_000)).toEqual([]);
  state.finishRebuild("me");
  state.close();
  // opened again: the upgrade ran once, the finished rebuild stays finished
  const again = new VmWriterState(dir);
  expect([again.needsRebuild("me"), again.needsRebuild("you")]).toEqual([false, true]);
  again.close();
});
