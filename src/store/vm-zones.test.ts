import { describe, expect, test } from "bun:test";
import { dayDigest, drawDay, valueAt } from "./vm-zones";

const D = 20_000 * 86400; // a UTC midnight
const c = (ts: number, zone: number, seconds: number) => ({ ts, bpm: 100, zone, seconds });

describe("drawDay", () => {
  test("each zone restarts at its first instant of the day and after more than 60 s without it, with a 0 one second before", () => {
    // every zone also gets its 0 one second before the day
    // z1 at +10 (10 s), +15 (5 s); z2 at +20 (5 s); z1 again at +100 (10 s: 85 s after its last instant, a new run)
    const day = drawDay([c(D + 10, 0, 10), c(D + 15, 0, 5), c(D + 20, 1, 5), c(D + 100, 0, 10)], null);
    expect(day).toEqual({
      ts: [[D + 10, D + 15, D + 100], [D + 20], [], [], []],
      values: [[10, 15, 10], [5], [], [], []],
      resets: [[D - 1, 0], [D - 1, 1], [D - 1, 2], [D - 1, 3], [D - 1, 4], [D + 9, 0], [D + 19, 1], [D + 99, 0]],
      end: { ts: D + 100, zone: 0, value: 10 },
    });
  });

  test("a day whose first second follows the day before's last: that first point is the reset, or the run goes on from 1", () => {
    // the previous day ended at D-1 in z1 with 40 s: 8 × (40 − 1) ≥ 40, VM reads 40 → 1 as a reset counting 1;
    // z1's series has its own point at D-1, the other zones their 0
    const others: [number, number][] = [[D - 1, 1], [D - 1, 2], [D - 1, 3], [D - 1, 4]];
    expect(drawDay([c(D, 0, 1)], { ts: D - 1, zone: 0, value: 40 })).toMatchObject({ values: [[1], [], [], [], []], resets: others });
    // with 1 s there, 1 → 1 would count nothing: the run goes on (1 → 2)
    expect(drawDay([c(D, 0, 1)], { ts: D - 1, zone: 0, value: 1 })).toMatchObject({ values: [[2], [], [], [], []], resets: others });
    // another zone at D-1: this zone's series is free there, so its reset point goes there
    expect(drawDay([c(D, 1, 1)], { ts: D - 1, zone: 0, value: 1 })).toMatchObject({ values: [[], [1], [], [], []], resets: others });
  });
});

test("valueAt: the counter at its instants, held less than 60 s after the last one, else 0 (and 0 at the day's last second)", () => {
  const day = drawDay([c(D + 10, 0, 10), c(D + 86_390, 0, 10)], null);
  expect([D + 5, D + 10, D + 69, D + 70, D + 86_390, D + 86_398, D + 86_399].map((s) => valueAt(day, 0, s, D))).toEqual([0, 10, 10, 0, 10, 10, 0]);
  expect(valueAt(day, 1, D + 10, D)).toBe(0);
});

test("dayDigest changes with any credit and with the day before's end only when the day follows on directly", () => {
  const credits = [c(D, 0, 1), c(D + 5, 0, 5)];
  const digest = dayDigest(credits, { ts: D - 1, zone: 0, value: 3 });
  expect(dayDigest(credits, { ts: D - 1, zone: 0, value: 4 })).not.toBe(digest);
  expect(dayDigest([c(D, 0, 1), c(D + 5, 1, 5)], { ts: D - 1, zone: 0, value: 3 })).not.toBe(digest);
  expect(dayDigest([c(D + 2, 0, 1)], { ts: D - 10, zone: 0, value: 3 })).toBe(dayDigest([c(D + 2, 0, 1)], { ts: D - 10, zone: 0, value: 9 }));
});
