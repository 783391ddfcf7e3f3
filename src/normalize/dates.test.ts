import { describe, expect, test } from "bun:test";
import { HaeDateError, isHaeDate, parseHaeDate, parseHaeDateOrDay, parseHaeInstant } from "./dates";

// Day numbers used below (days since 1970-01-01): 2024-01-01 = 54*365 + 13 leap days = 19723;
// 2024-08-24 = 19723 + 213 (Jan..Jul, leap Feb) + 23 = 19959; 2024-02-06 = 19723 + 31 + 5 = 19759;
// 2024-09-21 = 19723 + 244 (Jan..Aug) + 20 = 19987.
const NNBSP = "\u202f";
const NBSP = "\u00a0";

describe("parseHaeDate: 24-hour forms", () => {
  test("±HHMM: 2024-08-24 14:32:10 +0200 is 12:32:10Z", () => {
    // 19959 * 86400 + 12*3600 + 32*60 + 10 = 1724457600 + 45130
    expect(parseHaeDate("2024-08-24 14:32:10 +0200")).toBe(1724502730);
  });

  test("±HH:MM gives the same instant", () => {
    expect(parseHaeDate("2024-08-24 14:32:10 +02:00")).toBe(1724502730);
  });

  test("negative offset: 2024-02-05 23:00:00 -0800 is 2024-02-06 07:00Z", () => {
    // 19759 * 86400 + 7*3600 = 1707177600 + 25200
    expect(parseHaeDate("2024-02-05 23:00:00 -0800")).toBe(1707202800);
  });

  test("half-hour offset: 2024-01-01 00:00:00 +05:30 is 2023-12-31 18:30Z", () => {
    // 19723 * 86400 - 5.5*3600 = 1704067200 - 19800
    expect(parseHaeDate("2024-01-01 00:00:00 +05:30")).toBe(1704047400);
  });

  test("instants are exact across a DST change: 01:59:59 +0100 and 03:00:00 +0200 are 1 s apart", () => {
    // Europe, 2024-03-31: both are around 01:00Z; the offset in the string is the whole truth.
    const before = parseHaeDate("2024-03-31 01:59:59 +0100");
    const after = parseHaeDate("2024-03-31 03:00:00 +0200");
    expect([before, after]).toEqual([1711846799, 1711846800]);
  });

  test("before the epoch is negative", () => {
    expect(parseHaeDate("1969-12-31 23:59:59 +0000")).toBe(-1);
  });

  test("leap days: 2024-02-29 and 2000-02-29 exist", () => {
    // 2024-02-29 = 19723 + 59 = 19782; 12:00 -09:30 = 21:30Z → 1709164800 + 77400
    expect(parseHaeDate("2024-02-29 12:00:00 -0930")).toBe(1709242200);
    // 2000-02-29 00:00 +14:00 = 2000-02-28 10:00Z; 2000-02-28 = 10957 + 58 = 11015 → 951696000 + 36000
    expect(parseHaeDate("2000-02-29 00:00:00 +1400")).toBe(951732000);
  });
});

describe("parseHaeDate: 12-hour forms", () => {
  // 2024-09-21 07:57:00 +10:00 = 2024-09-20 21:57Z = 19986 * 86400 + 79020
  const expected = 1726869420;
  test.each([
    ["normal space", `2024-09-21 7:57:00 am +1000`],
    ["U+202F narrow no-break space", `2024-09-21 7:57:00${NNBSP}am +1000`],
    ["U+00A0 no-break space", `2024-09-21 7:57:00${NBSP}am +1000`],
    ["upper case AM", `2024-09-21 7:57:00${NNBSP}AM +1000`],
    ["two-digit hour and ±HH:MM", `2024-09-21 07:57:00 Am +10:00`],
  ])("%s", (_, value) => {
    expect(parseHaeDate(value)).toBe(expected);
  });

  test("12 am is 00, 12 pm is 12, 11:59:59 pm is the day's last second", () => {
    // 2024-09-21 = 19987 → 1726876800
    expect([
      parseHaeDate(`2024-09-21 12:00:00${NNBSP}am +0000`),
      parseHaeDate(`2024-09-21 12:00:00${NNBSP}pm +0000`),
      parseHaeDate(`2024-09-21 11:59:59 PM +0000`),
      parseHaeDate(`2024-09-21 1:00:00 pm +0000`),
    ]).toEqual([1726876800, 1726876800 + 43200, 1726876800 + 86399, 1726876800 + 13 * 3600]);
  });

  test("hours outside 1..12 are refused with am/pm", () => {
    expect(() => parseHaeDate("2024-09-21 0:30:00 am +0000")).toThrow("hour 0 out of range for a 12-hour clock");
    expect(() => parseHaeDate("2024-09-21 13:30:00 pm +0000")).toThrow("hour 13 out of range for a 12-hour clock");
  });
});

describe("parseHaeDate: ISO 8601", () => {
  test("offset and Z", () => {
    expect(parseHaeDate("2024-02-05T23:00:00-08:00")).toBe(1707202800);
    // 2024-02-05 = 19758 → 1707091200 + 23*3600
    expect(parseHaeDate("2024-02-05T23:00:00Z")).toBe(1707174000);
  });

  test("a fraction is floored to whole seconds", () => {
    expect(parseHaeDate("2024-02-05T23:00:00.999Z")).toBe(1707174000);
  });
});

describe("parseHaeDate: refusals name the value", () => {
  test.each([
    ["2024-08-24 14:32:10", "no UTC offset"],
    ["2024-08-24", "date only"],
    ["24/08/2024 14:32:10 +0200", "unrecognised form"],
    ["2024-08-24 14:32:10 GMT+2", "unrecognised form"],
    ["1724502730", "unrecognised form"],
    ["", "unrecognised form"],
    [" 2024-08-24 14:32:10 +0200", "unrecognised form"],
    ["2024-13-01 00:00:00 +0000", "month 13 out of range"],
    ["2024-00-01 00:00:00 +0000", "month 0 out of range"],
    ["2023-02-29 00:00:00 +0000", "day 29 out of range for month 2"],
    ["2100-02-29 00:00:00 +0000", "day 29 out of range for month 2"],
    ["2024-04-31 00:00:00 +0000", "day 31 out of range for month 4"],
    ["2024-04-00 00:00:00 +0000", "day 0 out of range"],
    ["2024-04-01 24:00:00 +0000", "hour 24 out of range"],
    ["2024-04-01 23:60:00 +0000", "minute 60 out of range"],
    ["2024-04-01 23:59:60 +0000", "second 60 out of range"],
    ["2024-04-01 12:00:00 +1401", "offset beyond ±14:00"],
    ["2024-04-01 12:00:00 -1500", "offset beyond ±14:00"],
    ["2024-04-01 12:00:00 +0260", "offset minutes 60 out of range"],
  ])("%j: %s", (value, reason) => {
    let error: unknown;
    try {
      parseHaeDate(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HaeDateError);
    expect((error as HaeDateError).message).toBe(`invalid date ${JSON.stringify(value)}: ${(error as HaeDateError).reason}`);
    expect((error as HaeDateError).reason).toContain(reason);
  });

  test("invisible spaces are spelled out in the message", () => {
    expect(() => parseHaeDate(`2024-09-21 7:57:00${NNBSP}xm +1000`)).toThrow('"2024-09-21 7:57:00\\u202fxm +1000"');
  });

  test("a non-string is refused", () => {
    expect(() => parseHaeDate(12 as unknown as string)).toThrow("invalid date 12: not a string");
  });
});

describe("parseHaeInstant", () => {
  test("keeps the written offset", () => {
    expect(parseHaeInstant("2024-02-05 23:00:00 -0800")).toEqual({ ts: 1707202800, offsetSeconds: -28800 });
    expect(parseHaeInstant(`2024-09-21 7:57:00${NNBSP}am +10:00`)).toEqual({ ts: 1726869420, offsetSeconds: 36000 });
  });
});

describe("parseHaeDateOrDay", () => {
  test("a bare day is that local day's midnight at the given offset", () => {
    // 2024-02-06 00:00 -08:00 = 08:00Z → 19759 * 86400 + 28800
    expect(parseHaeDateOrDay("2024-02-06", -28800)).toBe(1707206400);
  });

  test("a full timestamp ignores the fallback offset", () => {
    expect(parseHaeDateOrDay("2024-02-05 23:00:00 -0800", 3600)).toBe(1707202800);
  });

  test("a bare day is still range-checked", () => {
    expect(() => parseHaeDateOrDay("2024-02-30", 0)).toThrow('invalid date "2024-02-30": day 30 out of range for month 2');
  });
});

test("isHaeDate allows a bare day only when asked", () => {
  expect([isHaeDate("2024-02-06"), isHaeDate("2024-02-06", true), isHaeDate(null, true), isHaeDate("2024-02-06 00:00:00 +0000")]).toEqual([
    false,
    true,
    false,
    true,
  ]);
});
