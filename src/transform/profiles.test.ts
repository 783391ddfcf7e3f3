import { describe, expect, test } from "bun:test";
import { boundsAt, firstDifference, nextHistory, type DatedProfile } from "./profiles";
import type { ZoneProfile } from "./zones";

const p = (hrMax: number): ZoneProfile => ({ mode: "max", hrMax, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] });
const D = 1_750_000_000;

describe("dated zone profiles", () => {
  test("without a date the new zones replace the history; with one, the zones before it stay", () => {
    const held: DatedProfile[] = [{ from: null, profile: p(200) }];
    expect(nextHistory(held, p(180), null)).toEqual([{ from: null, profile: p(180) }]);
    expect(nextHistory(held, p(180), D)).toEqual([{ from: null, profile: p(200) }, { from: D, profile: p(180) }]);
    // a later restart with the same settings changes nothing; an earlier date cuts the newer entries
    const dated = nextHistory(held, p(180), D);
    expect(nextHistory(dated, p(180), D)).toEqual(dated);
    expect(nextHistory(dated, p(170), D - 100)).toEqual([{ from: null, profile: p(200) }, { from: D - 100, profile: p(170) }]);
    expect(nextHistory([], p(190), D)).toEqual([{ from: null, profile: p(190) }]);
  });

  test("what must be re-credited: from the first instant whose zones differ", () => {
    const old: DatedProfile[] = [{ from: null, profile: p(200) }];
    expect(firstDifference(old, old)).toBeNull();
    expect(firstDifference(old, [{ from: null, profile: p(180) }])).toBe(-Infinity);
    expect(firstDifference(old, [{ from: null, profile: p(200) }, { from: D, profile: p(180) }])).toBe(D);
  });

  test("bounds per instant: 200 → 120/140/160/180 before the date, 180 → 108/126/144/162 from it", () => {
    const at = boundsAt([{ from: null, profile: p(200) }, { from: D, profile: p(180) }]);
    // (0.7 × 180 is 125.99999999999999 in floating point; zoneIndex allows for that)
    expect([at(D - 1), at(D)].map((bounds) => bounds.map((b) => Math.round(b * 1e6) / 1e6))).toEqual([
      [120, 140, 160, 180],
      [108, 126, 144, 162],
    ]);
  });
});
