import { expect, test } from "bun:test";
import { localTimeToInstant, quietSleepS, quietUntil } from "./quietHours";

const utc = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi) / 1000;
const NIGHT = { startMin: 23 * 60, endMin: 6 * 60 + 30 };
const BERLIN = "Europe/Berlin";

test("a window across midnight: the evening half ends tomorrow, the morning half today, outside is null", () => {
  // Wednesday 20 March 2024, CET (+01): 23:30 local = 22:30Z; the night ends 06:30 local on the 21st = 05:30Z, 7 h later
  expect(quietUntil(utc(2024, 3, 20, 22, 30), NIGHT, BERLIN)).toBe(utc(2024, 3, 21, 5, 30));
  expect(quietSleepS(utc(2024, 3, 20, 22, 30), utc(2024, 3, 21, 5, 30))).toBe(7 * 3600);
  // 03:00 local (02:00Z) on the 21st: the same end, so the same screen
  expect(quietUntil(utc(2024, 3, 21, 2), NIGHT, BERLIN)).toBe(utc(2024, 3, 21, 5, 30));
  // 23:00 sharp is inside, 06:30 sharp is outside, 22:59 is outside
  expect(quietUntil(utc(2024, 3, 20, 22), NIGHT, BERLIN)).toBe(utc(2024, 3, 21, 5, 30));
  expect([quietUntil(utc(2024, 3, 21, 5, 30), NIGHT, BERLIN), quietUntil(utc(2024, 3, 20, 21, 59), NIGHT, BERLIN)]).toEqual([null, null]);
});

test("a window within one day", () => {
  const lunch = { startMin: 12 * 60, endMin: 13 * 60 };
  expect(quietUntil(utc(2024, 3, 20, 11, 15), lunch, BERLIN)).toBe(utc(2024, 3, 20, 12)); // 12:15 local → 13:00 local
  expect(quietUntil(utc(2024, 3, 20, 12, 15), lunch, BERLIN)).toBeNull(); // 13:15 local
});

test("the spring-forward night is an hour shorter, the autumn one an hour longer", () => {
  // 30→31 March 2024: 23:00 CET = 22:00Z; 06:30 CEST (+02) = 04:30Z: 6 h 30 m, not 7 h 30 m
  expect(quietUntil(utc(2024, 3, 30, 22), NIGHT, BERLIN)).toBe(utc(2024, 3, 31, 4, 30));
  expect(quietSleepS(utc(2024, 3, 30, 22), utc(2024, 3, 31, 4, 30))).toBe(6.5 * 3600);
  // 26→27 October 2024: 23:00 CEST = 21:00Z; 06:30 CET (+01) = 05:30Z: 8 h 30 m
  expect(quietUntil(utc(2024, 10, 26, 21), NIGHT, BERLIN)).toBe(utc(2024, 10, 27, 5, 30));
  // New York, 10 March 2024 (-05 → -04): 23:00 EST on the 9th = 04:00Z on the 10th; 06:30 EDT = 10:30Z
  expect(quietUntil(utc(2024, 3, 10, 4), NIGHT, "America/New_York")).toBe(utc(2024, 3, 10, 10, 30));
});

test("an end inside the skipped hour wakes at the change; inside the repeated hour, at its first occurrence", () => {
  // Berlin 31 March 2024: 02:00 CET jumps to 03:00 CEST at 01:00Z; 02:30 does not exist
  expect(localTimeToInstant("2024-03-31", 150, BERLIN)).toBe(utc(2024, 3, 31, 1));
  // 27 October 2024: 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET)
  expect(localTimeToInstant("2024-10-27", 150, BERLIN)).toBe(utc(2024, 10, 27, 0, 30));
  const early = { startMin: 60, endMin: 150 };
  expect(quietUntil(utc(2024, 3, 31, 0, 30), early, BERLIN)).toBe(utc(2024, 3, 31, 1)); // 01:30 CET, wakes 03:00 CEST
});

test("waking a few seconds early still sleeps at least a minute", () => {
  expect(quietSleepS(utc(2024, 3, 21, 5, 29) + 55, utc(2024, 3, 21, 5, 30))).toBe(60);
});
