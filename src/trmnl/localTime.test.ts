import { expect, test } from "bun:test";
import { addDays, lastSevenDates, localDayRange, mondayOf, startOfLocalDay } from "./localTime";

const utc = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi) / 1000;

test("Berlin days: 24 h in winter, 23 h on the spring change, 25 h on the autumn change", () => {
  expect(["2024-03-30", "2024-03-31", "2024-04-01", "2024-10-27"].map((date) => localDayRange(date, "Europe/Berlin"))).toEqual([
    // 00:00 CET (+01) = 23:00Z the day before; ranges are from < ts <= to, so one second earlier on both ends
    { date: "2024-03-30", from: utc(2024, 3, 29, 23) - 1, to: utc(2024, 3, 30, 23) - 1 },
    // clocks go 02:00 → 03:00 on 31 March: the day ends at 00:00 CEST (+02) = 22:00Z, 23 h after it began
    { date: "2024-03-31", from: utc(2024, 3, 30, 23) - 1, to: utc(2024, 3, 31, 22) - 1 },
    { date: "2024-04-01", from: utc(2024, 3, 31, 22) - 1, to: utc(2024, 4, 1, 22) - 1 },
    // 03:00 → 02:00 on 27 October: begins 22:00Z (+02), ends 23:00Z (+01), 25 h
    { date: "2024-10-27", from: utc(2024, 10, 26, 22) - 1, to: utc(2024, 10, 27, 23) - 1 },
  ]);
});

test("a zone whose clocks skip midnight starts that day at the change", () => {
  // Santiago, 8 Sep 2024: 00:00 -04 becomes 01:00 -03, so the first local instant is 04:00Z (01:00 local)
  expect(startOfLocalDay("2024-09-08", "America/Santiago")).toBe(utc(2024, 9, 8, 4));
  expect(startOfLocalDay("2024-09-09", "America/Santiago")).toBe(utc(2024, 9, 9, 3));
});

test("UTC and far-east zones", () => {
  expect(startOfLocalDay("2024-03-31", "UTC")).toBe(utc(2024, 3, 31));
  // Kiritimati is +14: its 1 January starts at 10:00Z on 31 December
  expect(startOfLocalDay("2025-01-01", "Pacific/Kiritimati")).toBe(utc(2024, 12, 31, 10));
});

test("calendar arithmetic, Mondays, and the last seven local dates", () => {
  expect([addDays("2024-03-01", -1), addDays("2024-12-31", 1), addDays("2024-03-31", 0)]).toEqual(["2024-02-29", "2025-01-01", "2024-03-31"]);
  // 18 March 2024 is a Monday
  expect(["2024-03-18", "2024-03-20", "2024-03-24", "2024-03-25"].map(mondayOf)).toEqual(["2024-03-18", "2024-03-18", "2024-03-18", "2024-03-25"]);
  // 23:30Z on 31 March is already 1 April in Berlin (+02), still 31 March in UTC
  expect(lastSevenDates(utc(2024, 3, 31, 23, 30), "Europe/Berlin")).toEqual(["2024-03-26", "2024-03-27", "2024-03-28", "2024-03-29", "2024-03-30", "2024-03-31", "2024-04-01"]);
  expect(lastSevenDates(utc(2024, 3, 31, 23, 30), "UTC").at(-1)).toBe("2024-03-31");
});
