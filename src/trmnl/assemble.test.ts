import { expect, test } from "bun:test";
import type { Summary } from "../store/store";
import { assembleDashboard, dashboardQueries } from "./assemble";

const utc = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi) / 1000;
const zones = (z1: number, z2: number, z3 = 0, z4 = 0, z5 = 0) => ({ z1, z2, z3, z4, z5 });
const summary = (zone_seconds = zones(0, 0), extra: Partial<Summary> = {}): Summary => ({
  user: "me",
  from: 0,
  to: 0,
  zone_seconds,
  last_heart_rate: null,
  resting_heart_rate: null,
  workouts: { count: 0, distance_m: 0, duration_s: 0, active_energy_kcal: 0 },
  last_workout: null,
  last_sleep: null,
  ...extra,
});

// Tuesday 2 April 2024, 12:00 in Berlin (CEST, +02) = 10:00Z; the spring change (31 March) is inside the last seven days
const NOW = utc(2024, 4, 2, 10);

test("ranges: seven local Berlin days across the DST change, this week's Monday, 30 days back, a 24 h heart-rate window", () => {
  const q = dashboardQueries(NOW, "Europe/Berlin", NOW - 1000);
  const day = (date: string, startZ: number, endZ: number) => ({ date, from: startZ - 1, to: endZ - 1 });
  expect(q).toEqual({
    days: [
      day("2024-03-27", utc(2024, 3, 26, 23), utc(2024, 3, 27, 23)),
      day("2024-03-28", utc(2024, 3, 27, 23), utc(2024, 3, 28, 23)),
      day("2024-03-29", utc(2024, 3, 28, 23), utc(2024, 3, 29, 23)),
      day("2024-03-30", utc(2024, 3, 29, 23), utc(2024, 3, 30, 23)),
      day("2024-03-31", utc(2024, 3, 30, 23), utc(2024, 3, 31, 22)), // 23 h
      day("2024-04-01", utc(2024, 3, 31, 22), utc(2024, 4, 1, 22)),
      day("2024-04-02", utc(2024, 4, 1, 22), utc(2024, 4, 2, 22)),
    ],
    weekStart: "2024-04-01",
    // today + 1 - 30 days = 4 March, still CET: 00:00 = 23:00Z on 3 March; up to the end of today
    recent: { from: utc(2024, 3, 3, 23) - 1, to: utc(2024, 4, 2, 22) - 1 },
    // last sync 09:43:20Z → the next 5-minute step, 09:45Z, ends the window: it stays put until the next sync
    heartRate: { from: utc(2024, 4, 2, 9, 45) - 86400, to: utc(2024, 4, 2, 9, 45), stepS: 300 },
  });
  // never synced: the window ends at the step after now (now is on a step: itself)
  expect(dashboardQueries(NOW, "Europe/Berlin", null).heartRate).toEqual({ from: NOW - 86400, to: NOW, stepS: 300 });
});

test("assembly: week = the days since Monday, the latest workout and night, asleep = deep + core + rem + asleep", () => {
  const dates = ["2024-03-27", "2024-03-28", "2024-03-29", "2024-03-30", "2024-03-31", "2024-04-01", "2024-04-02"];
  const perDay = [zones(100, 0), zones(0, 200), zones(0, 0), zones(300, 0), zones(0, 0, 400), zones(60, 600, 120), zones(30, 900, 0, 45, 5)];
  const recent = summary(zones(0, 0), {
    resting_heart_rate: { ts: NOW - 7200, bpm: 54 },
    last_workout: { type: "running", name: "Outdoor Run", start: NOW - 90000, end: NOW - 87000, duration_s: 3000, avg_heart_rate: 148.6 },
    last_sleep: { start: NOW - 40000, end: NOW - 10000, stage_seconds: { deep: 3600, core: 10800, rem: 5400, awake: 600, in_bed: 30000 } },
  });
  const heartRate = [
    { ts: NOW - 600, bpm: 70 },
    { ts: NOW - 900, bpm: 65 },
  ];
  const data = assembleDashboard({
    now: NOW,
    lastSync: NOW - 1000,
    weekStart: "2024-04-01",
    days: dates.map((date, i) => ({ date, summary: summary(perDay[i]) })),
    recent,
    heartRate,
  });
  expect(data).toEqual({
    now: NOW,
    lastSync: NOW - 1000,
    // Monday 1 April + Tuesday 2 April: z1 60+30, z2 600+900, z3 120+0, z4 0+45, z5 0+5
    week: zones(90, 1500, 120, 45, 5),
    days: dates.map((date, i) => ({ date, zoneSeconds: perDay[i] })),
    heartRate24h: [
      { ts: NOW - 900, bpm: 65 },
      { ts: NOW - 600, bpm: 70 },
    ],
    restingHr: 54,
    lastWorkout: { name: "Outdoor Run", start: NOW - 90000, durationS: 3000, avgHr: 148.6 },
    // 3600 + 10800 + 5400 = 19800 s asleep (awake and in bed are not sleep)
    lastSleep: { start: NOW - 40000, end: NOW - 10000, asleepS: 19800, deepS: 3600, remS: 5400 },
  });
});

test("assembly: nothing held, an unnamed workout without heart rate, a night of unstaged sleep, a --from week", () => {
  const recent = summary(zones(0, 0), {
    last_workout: { type: "walking", name: "", start: 100, end: 200, duration_s: 100, avg_heart_rate: null },
    last_sleep: { start: 1000, end: 9000, stage_seconds: { asleep: 7000, in_bed: 8000 } },
  });
  const data = assembleDashboard({ now: NOW, lastSync: null, weekStart: "2024-04-01", days: [], week: summary(zones(1, 2, 3, 4, 5)), recent, heartRate: [] });
  expect(data).toEqual({
    now: NOW,
    lastSync: null,
    week: zones(1, 2, 3, 4, 5),
    days: [],
    heartRate24h: [],
    restingHr: null,
    lastWorkout: { name: "walking", start: 100, durationS: 100 },
    lastSleep: { start: 1000, end: 9000, asleepS: 7000 },
  });
});
