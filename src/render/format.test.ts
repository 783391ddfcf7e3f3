import { expect, test } from "bun:test";
import { barHours, clock, duration, hoursOneDecimal, localDate, shortDuration, weekdayOfDate, when, zoneOffsetS } from "./format";

// 2024-03-20 13:05 UTC = 14:05 in Berlin (CET) = 09:05 in New York (EDT since 10 March)
const now = Date.UTC(2024, 2, 20, 13, 5) / 1000;

test("clocks and dates are read in the zone passed in", () => {
  expect([clock(now, "Europe/Berlin"), clock(now, "America/New_York"), clock(now, "UTC")]).toEqual(["14:05", "09:05", "13:05"]);
  // 23:30 UTC on the 20th is already the 21st in Berlin
  expect(localDate(now + 10.5 * 3600, "Europe/Berlin")).toBe("2024-03-21");
  expect(weekdayOfDate("2024-03-18")).toBe("Mon");
});

test("when: time today, weekday within the week, date beyond", () => {
  const tz = "Europe/Berlin";
  expect([when(now - 3600, now, tz), when(now - 86400, now, tz), when(now - 10 * 86400, now, tz)]).toEqual(["13:05", "Tue 14:05", "10 Mar"]);
});

test("durations and hours", () => {
  // 26 640 s = 7.4 h; 3 900 s = 65 min
  expect([hoursOneDecimal(26_640), hoursOneDecimal(0), duration(3_900), duration(45 * 60), duration(7_200), shortDuration(75_540)]).toEqual([
    "7.4", "0.0", "1h 05m", "45m", "2h", "20h59",
  ]);
  expect([barHours(0), barHours(29), barHours(1_680), barHours(4_320), barHours(72_000)]).toEqual(["", "", "28m", "1.2h", "20h"]);
});

test("zone offsets follow daylight saving", () => {
  // Berlin is UTC+1 in March before the 31st, UTC+2 in July; UTC is 0
  expect([zoneOffsetS(now, "Europe/Berlin"), zoneOffsetS(Date.UTC(2024, 6, 1) / 1000, "Europe/Berlin"), zoneOffsetS(now, "UTC")]).toEqual([3600, 7200, 0]);
});
