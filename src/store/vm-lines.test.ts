import { describe, expect, test } from "bun:test";
import { joinedStamps, seriesLines } from "./vm-lines";

describe("joinedStamps", () => {
  const seconds = [1_751_600_000, 1_751_600_005, 1_751_600_010];
  test("one revision: s*1000 - 999 + revision for every second, whatever the path", () => {
    // 1_751_600_000 * 1000 - 999 + 0 = 1_751_599_999_001
    expect(joinedStamps(seconds, 0, 3, 0)).toBe("1751599999001,1751600004001,1751600009001");
    // revision 998: the last revision with three digits of its own (999 + 1 would carry into the seconds)
    expect(joinedStamps(seconds, 1, 3, 998)).toBe("1751600004999,1751600009999");
    // revision 999 = 1_751_600_000 * 1000 exactly
    expect(joinedStamps(seconds, 0, 2, 999)).toBe("1751600000000,1751600005000");
    // past MAX_REVISION it stays at 999
    expect(joinedStamps(seconds, 0, 1, 1500)).toBe("1751600000000");
  });

  test("a revision per second, an empty range, and seconds too small to be split keep stamp()'s value", () => {
    expect(joinedStamps(seconds, 0, 3, [0, 7, 999])).toBe("1751599999001,1751600004008,1751600010000");
    expect(joinedStamps(seconds, 2, 2, 0)).toBe("");
    // second 1: 1*1000 - 999 = 1 (split it would read "0001"); second 0 is -999
    expect(joinedStamps([0, 1, 2], 0, 3, 0)).toBe("-999,1,1001");
  });

  test("seriesLines: values and stamps in lines of at most 10,000 points, a non-finite value left out with its stamp", () => {
    const many = Array.from({ length: 10_001 }, (_, i) => 1_000_000_000 + i);
    const lines = seriesLines({ __name__: "m", user: "u" }, many, many.map((_, i) => i % 3), 4).map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.values.length, l.timestamps[0], l.timestamps.at(-1)])).toEqual([
      [10_000, 999_999_999_005, 1_000_009_998_005],
      [1, 1_000_009_999_005, 1_000_009_999_005],
    ]);
    const gap = JSON.parse(seriesLines({ __name__: "m" }, [10, 20, 30], [1, Infinity, 3], 0)[0]!);
    expect(gap).toEqual({ metric: { __name__: "m" }, values: [1, 3], timestamps: [9001, 29001] });
  });
});
