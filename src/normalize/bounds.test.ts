import { expect, test } from "bun:test";
import { normalizeHae } from "./hae";

const at = (hhmm: string) => `2025-06-01 ${hhmm}:00 +0000`;
const ts = (hhmm: string) => Date.parse(`2025-06-01T${hhmm}:00Z`) / 1000;

test("implausible or non-finite numbers are dropped and counted; plausible ones beside them are kept", () => {
  const body = {
    data: {
      metrics: [
        // 1e10 steps and 1e308 °F (→ 5.6e307 °C) are beyond ±1e9; 70 kg stays
        { name: "step_count", units: "count", data: [{ date: at("08:00"), qty: 1e10 }] },
        { name: "body_temperature", units: "degF", data: [{ date: at("08:00"), qty: 1e308 }] },
        { name: "weight_body_mass", units: "kg", data: [{ date: at("08:00"), qty: 70 }] },
        {
          name: "sleep_analysis",
          units: "hr",
          data: [
            // 1e306 hours of deep sleep (its seconds are Infinity); a night of 2 days; a segment of 25 h
            { date: "2025-06-01", deep: 1e306, core: 3, sleepStart: at("00:00"), sleepEnd: at("07:00") },
            { date: "2025-06-01", core: 3, sleepStart: "2025-05-30 00:00:00 +0000", sleepEnd: at("07:00") },
            { startDate: "2025-05-31 06:00:00 +0000", endDate: at("07:00"), value: "Core", source: "Watch" },
          ],
        },
      ],
      workouts: [
        // the case: 1e306 km (its metres are Infinity); avg 900 bpm; both fields dropped, the workout kept
        { id: "A", name: "Run", start: at("09:00"), end: at("10:00"), distance: { qty: 1e306, units: "km" }, heartRate: { avg: { qty: 900, units: "bpm" }, max: { qty: 170, units: "bpm" } } },
        // a duration of 1e12 s: the workout cannot be drawn without it and is dropped
        { id: "B", name: "Ride", start: at("11:00"), end: at("12:00"), duration: 1e12, activeEnergyBurned: { qty: 500, units: "kcal" } },
        { id: "C", name: "Swim", start: at("13:00"), end: at("14:00"), activeEnergyBurned: { qty: 2e5, units: "kcal" } },
      ],
    },
  };
  const out = normalizeHae(body);
  expect({ gauges: out.gauges, sleep: out.sleep, workouts: out.workouts, invalid: out.invalid }).toEqual({
    gauges: [{ name: "hae_weight_body_mass", unit: "kg", ts: ts("08:00"), value: 70, source: "" }],
    sleep: [],
    workouts: [
      { id: "A", name: "Run", start: ts("09:00"), end: ts("10:00"), durationS: 3600, maxHeartRate: 170 },
      { id: "C", name: "Swim", start: ts("13:00"), end: ts("14:00"), durationS: 3600 },
    ],
    invalid: {
      gauge_out_of_range: 2,
      sleep_out_of_range: 3,
      distance_out_of_range: 1,
      workout_bpm_out_of_range: 1,
      workout_duration_out_of_range: 1,
      energy_out_of_range: 1,
    },
  });
});

test("values at the bounds are kept: 0 and 5000 km, 25 and 250 bpm, 48 h of sleep, a 7-day workout", () => {
  const out = normalizeHae({
    data: {
      metrics: [{ name: "sleep_analysis", units: "hr", data: [{ date: "2025-06-01", asleep: 48, sleepStart: "2025-05-30 07:00:00 +0000", sleepEnd: at("07:00") }] }],
      workouts: [
        { id: "A", name: "Trek", start: "2025-05-25 09:00:00 +0000", end: at("09:00"), distance: { qty: 5000, units: "km" }, heartRate: { avg: { qty: 25 }, max: { qty: 250 } } },
        { id: "B", name: "Yoga", start: at("10:00"), end: at("11:00"), distance: { qty: 0, units: "km" } },
      ],
    },
  });
  expect([out.sleep.length, out.workouts.map((w) => [w.durationS, w.distanceKm, w.avgHeartRate ?? null, w.maxHeartRate ?? null]), out.invalid]).toEqual([
    1,
    [
      [7 * 86400, 5000, 25, 250],
      [3600, 0, null, null],
    ],
    undefined,
  ]);
});
