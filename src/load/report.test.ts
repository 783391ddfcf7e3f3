// Each definition of the README's "Training load" worked out by hand.
import { describe, expect, test } from "bun:test";
import type { DayValues } from "../store/store";
import { emptyZoneSeconds, type ZoneSeconds } from "../transform/zones";
import { addDays, startOfLocalDay } from "../trmnl/localTime";
import { historyStart, loadDays, loadWeeks, localDays } from "./report";

const WEIGHTS = [0, 2, 3, 4, 5];
const zones = (z: Partial<ZoneSeconds>): ZoneSeconds => ({ ...emptyZoneSeconds(), ...z });
const day = (date: string, z: Partial<ZoneSeconds> = {}, rhr: number | null = null, hrv: number | null = null): DayValues => ({
  date,
  zone_seconds: zones(z),
  rhr,
  hrv,
});

describe("trimp, atl, ctl, tsb", () => {
  test("three days, the middle one without data", () => {
    // day 1: 60 min z1 (weight 0), 30 min z2 (×2), 10 min z4 (×4) → trimp 0 + 60 + 40 = 100
    // day 2: nothing → 0; day 3: 10 min z3 (×3), 20 min z5 (×5) → 30 + 100 = 130
    // atl: 100/7 = 14.286; 14.2857 × 6/7 = 12.245; 12.2449 + (130 − 12.2449)/7 = 29.067
    // ctl: 100/42 = 2.381; 2.38095 × 41/42 = 2.324; 2.32426 + (130 − 2.32426)/42 = 5.364
    // tsb = ctl − atl (unrounded): −11.905, −9.921, −23.703
    const days = loadDays([day("2026-03-02", { z1: 3600, z2: 1800, z4: 600 }), day("2026-03-03"), day("2026-03-04", { z3: 600, z5: 1200 })], WEIGHTS);
    expect(days.map(({ date, trimp, atl, ctl, tsb }) => ({ date, trimp, atl, ctl, tsb }))).toEqual([
      { date: "2026-03-02", trimp: 100, atl: 14.286, ctl: 2.381, tsb: -11.905 },
      { date: "2026-03-03", trimp: 0, atl: 12.245, ctl: 2.324, tsb: -9.921 },
      { date: "2026-03-04", trimp: 130, atl: 29.067, ctl: 5.364, tsb: -23.703 },
    ]);
  });

  test("days before the first heart rate leave the curves at 0: starting earlier changes nothing", () => {
    const data = [day("2026-03-02", { z2: 600 }), day("2026-03-03", { z4: 300 })];
    const earlier = loadDays([day("2026-02-27"), day("2026-02-28"), day("2026-03-01"), ...data], WEIGHTS);
    expect(earlier.slice(3)).toEqual(loadDays(data, WEIGHTS));
    expect(earlier[0]).toMatchObject({ trimp: 0, atl: 0, ctl: 0, tsb: 0 });
  });

  test("LOAD_WEIGHTS change the trimp: 1,1,1,1,1 is plain minutes", () => {
    const [only] = loadDays([day("2026-03-02", { z1: 600, z2: 60, z5: 120 })], [1, 1, 1, 1, 1]);
    expect(only!.trimp).toBe(13); // 10 + 1 + 2 minutes
  });
});

describe("weeks", () => {
  test("Monday-based: z2+ minutes, moderate-equivalent = (z2 + z3) + 2 × (z4 + z5), trimp of the week", () => {
    // Sun 2026-03-01 belongs to the week of Mon 2026-02-23; Mon 2026-03-02 and Wed 2026-03-04 to the next
    const days = loadDays(
      [day("2026-03-01", { z2: 600 }), day("2026-03-02", { z2: 1800, z3: 600 }), day("2026-03-03"), day("2026-03-04", { z4: 600, z5: 300, z1: 999 })],
      WEIGHTS,
    );
    // week 2: z2 30 + z3 10 + z4 10 + z5 5 = 55 min z2+; moderate-eq 40 + 2 × 15 = 70; trimp 60 + 30 + 40 + 25 = 155
    expect(loadWeeks(days, WEIGHTS, 150)).toEqual([
      { week_start: "2026-02-23", z2plus_min: 10, moderate_eq_min: 10, goal_min: 150, trimp: 20 },
      { week_start: "2026-03-02", z2plus_min: 55, moderate_eq_min: 70, goal_min: 150, trimp: 155 },
    ]);
  });
});

describe("baselines", () => {
  // 14 days alternating 50 and 60: mean 55, population SD 5 → normal is 50..60 inclusive
  const history = Array.from({ length: 14 }, (_, i) => (i % 2 ? 60 : 50));
  const dates = Array.from({ length: 16 }, (_, i) => `2026-03-${String(i + 1).padStart(2, "0")}`);
  const flags = (today: number) => {
    const days = loadDays([...history, today].map((rhr, i) => day(dates[i]!, {}, rhr, rhr * 2)), WEIGHTS);
    const last = days.at(-1)!;
    return { rhr_baseline: last.rhr_baseline, rhr_flag: last.rhr_flag, hrv_baseline: last.hrv_baseline, hrv_flag: last.hrv_flag };
  };

  test("today against mean ± 1 SD of the previous days", () => {
    expect(flags(61)).toEqual({ rhr_baseline: { mean: 55, sd: 5 }, rhr_flag: "high", hrv_baseline: { mean: 110, sd: 10 }, hrv_flag: "high" });
    expect(flags(60).rhr_flag).toBe("normal");
    expect(flags(50).rhr_flag).toBe("normal");
    expect(flags(49).rhr_flag).toBe("low");
  });

  test("fewer than 14 values: no baseline; a day without a value: no flag; only the previous 60 days count", () => {
    const thirteen = loadDays([...history.slice(1), 70].map((rhr, i) => day(dates[i]!, {}, rhr)), WEIGHTS);
    expect(thirteen.at(-1)).toMatchObject({ rhr: 70, rhr_baseline: null, rhr_flag: null });
    const missing = loadDays([...history.map((rhr, i) => day(dates[i]!, {}, rhr)), day("2026-03-15")], WEIGHTS);
    expect(missing.at(-1)).toMatchObject({ rhr: null, rhr_baseline: { mean: 55, sd: 5 }, rhr_flag: null });
    // 14 values on days 0..13, a gap, then today: the window is the 60 days before today, so today on day 60
    // still sees day 0 (all 14 values), on day 61 it no longer does (13 values: no baseline)
    const withGap = (gapDays: number) =>
      loadDays([...history, ...Array(gapDays).fill(null), 55].map((rhr, i) => day(`d${String(i).padStart(3, "0")}`, {}, rhr)), WEIGHTS).at(-1)!.rhr_baseline;
    expect(withGap(46)).toEqual({ mean: 55, sd: 5 });
    expect(withGap(47)).toBeNull();
  });
});

describe("local days", () => {
  test("days in the person's zone: Berlin's spring-forward day is 23 h", () => {
    expect(localDays("2025-03-29", "2025-03-31", "Europe/Berlin")).toEqual([
      { date: "2025-03-29", start: 1743202800, end: 1743289200 }, // 2025-03-28T23:00Z → 24 h
      { date: "2025-03-30", start: 1743289200, end: 1743372000 }, // → 2025-03-30T22:00Z: 23 h
      { date: "2025-03-31", start: 1743372000, end: 1743458400 },
    ]);
  });

  test("the one-call-a-day shortcut agrees with startOfLocalDay, also where clocks change at midnight or a date is skipped", () => {
    for (const tz of ["Europe/Berlin", "America/Santiago", "America/Havana", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Apia"]) {
      const wrong = localDays("2011-01-01", "2013-12-31", tz).filter((d) => d.start !== startOfLocalDay(d.date, tz) || d.end !== startOfLocalDay(addDays(d.date, 1), tz));
      expect({ tz, wrong }).toEqual({ tz, wrong: [] });
    }
  });

  test("the history a report needs: 60 days back for baselines, the Monday, or the first heart rate if earlier", () => {
    expect(historyStart("2026-03-04", null, "UTC")).toBe("2026-01-03");
    expect(historyStart("2026-03-04", Date.UTC(2025, 0, 5, 23, 30) / 1000, "Europe/Berlin")).toBe("2025-01-06");
  });
});
