// Dashboard data sets for tests, the `render` CLI and looking at the screen: empty, typical, extreme and in between.
import type { DashboardData, MonthDay, RenderOptions, ZoneSeconds } from "./dashboard";

/** Wednesday 2024-03-20 14:05 in Europe/Berlin (13:05 UTC). */
export const SAMPLE_NOW = Date.UTC(2024, 2, 20, 13, 5) / 1000;
export const SAMPLE_TIME_ZONE = "Europe/Berlin";

export const sampleOptions: RenderOptions = {
  width: 800,
  height: 480,
  timeZone: SAMPLE_TIME_ZONE,
  weeklyZ2GoalH: 10,
  staleAfterS: 3 * 3600,
};

const zones = (minutes: [number, number, number, number, number]): ZoneSeconds => ({
  z1: minutes[0] * 60,
  z2: minutes[1] * 60,
  z3: minutes[2] * 60,
  z4: minutes[3] * 60,
  z5: minutes[4] * 60,
});

const sum = (all: ZoneSeconds[]): ZoneSeconds =>
  all.reduce((a, b) => ({ z1: a.z1 + b.z1, z2: a.z2 + b.z2, z3: a.z3 + b.z3, z4: a.z4 + b.z4, z5: a.z5 + b.z5 }), zones([0, 0, 0, 0, 0]));

const DATES = ["2024-03-14", "2024-03-15", "2024-03-16", "2024-03-17", "2024-03-18", "2024-03-19", "2024-03-20"];
/** Monday 2024-03-18 is index 4: the week so far is the last three days. */
const weekOf = (days: ZoneSeconds[]) => sum(days.slice(4));

/** A small fixed-seed generator, so the sample is the same on every run. */
function seeded(seed: number) {
  let state = seed;
  return () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** A day on the wrist: a reading every 5 min, lower asleep, every 5 s during the evening run. */
function heartRateDay(now: number, peak: number, floor: number): { ts: number; bpm: number }[] {
  const random = seeded(7);
  const points: { ts: number; bpm: number }[] = [];
  const runStart = now - 20 * 3600 - 5 * 60; // 18:00 yesterday local
  const sleepStart = now - 15 * 3600 + 5 * 60; // 23:10
  const sleepEnd = now - 7 * 3600 - 10 * 60; // 06:55
  for (let ts = now - 24 * 3600 + 120; ts <= now - 600; ) {
    if (ts >= runStart && ts < runStart + 3000) {
      const t = (ts - runStart) / 3000;
      points.push({ ts, bpm: Math.round(floor + 50 + (peak - floor - 50) * Math.sin(Math.PI * t) ** 0.5 - random() * 6) });
      ts += 5;
      continue;
    }
    const asleep = ts >= sleepStart && ts < sleepEnd;
    points.push({ ts, bpm: Math.round((asleep ? floor : floor + 14) + random() * (asleep ? 8 : 22)) });
    ts += 300;
  }
  return points;
}

export const emptyData: DashboardData = {
  now: SAMPLE_NOW,
  lastSync: null,
  week: zones([0, 0, 0, 0, 0]),
  days: [],
  heartRate24h: [],
  restingHr: null,
  lastWorkout: null,
  lastSleep: null,
};

const typicalDays = [
  zones([35, 40, 12, 0, 0]),
  zones([20, 0, 0, 0, 0]),
  zones([50, 75, 30, 10, 2]),
  zones([30, 45, 0, 0, 0]),
  zones([40, 62, 20, 4, 0]),
  zones([25, 38, 14, 6, 3]),
  zones([10, 18, 0, 0, 0]),
];

/** 28 days ending with `last7`: three earlier weeks from a fixed seed, a resting rate drifting down with a gap. */
function monthOf(last7: ZoneSeconds[], seed: number, restFrom: number): MonthDay[] {
  const random = seeded(seed);
  const earlier = Array.from({ length: 21 }, (_, i) => (i % 7 === 5 ? zones([20, 0, 0, 0, 0]) : zones([30, Math.round(20 + random() * 60), Math.round(random() * 25), Math.round(random() * 8), i % 4 === 0 ? 3 : 0])));
  return [...earlier, ...last7].map((zoneSeconds, i) => ({
    date: addDaysToDate(DATES[0]!, i - 21),
    zoneSeconds,
    restingHr: i === 9 ? null : Math.round(restFrom - i * 0.15 + random() * 3),
  }));
}

const addDaysToDate = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86400_000).toISOString().slice(0, 10);

/** Lower bounds of z2..z5 for HRmax 190 at 60/70/80/90 %. */
const SAMPLE_ZONE_BOUNDS = [114, 133, 152, 171];

export const typicalData: DashboardData = {
  now: SAMPLE_NOW,
  lastSync: SAMPLE_NOW - 20 * 60,
  week: weekOf(typicalDays),
  days: DATES.map((date, i) => ({ date, zoneSeconds: typicalDays[i]! })),
  heartRate24h: heartRateDay(SAMPLE_NOW, 168, 48),
  restingHr: 52,
  lastWorkout: { name: "Outdoor Run", start: SAMPLE_NOW - 20 * 3600 - 5 * 60, durationS: 50 * 60, avgHr: 152 },
  lastSleep: { start: SAMPLE_NOW - 15 * 3600 + 5 * 60, end: SAMPLE_NOW - 7 * 3600 - 10 * 60, asleepS: 7 * 3600 + 12 * 60, deepS: 65 * 60, remS: 100 * 60 },
  month: monthOf(typicalDays, 11, 56),
  zoneBoundsBpm: SAMPLE_ZONE_BOUNDS,
};

/** The same day, last synced five hours ago: past `staleAfterS` of the sample options. */
export const staleData: DashboardData = { ...typicalData, lastSync: SAMPLE_NOW - 5 * 3600 };

const extremeDays = [
  zones([600, 300, 200, 100, 40]),
  zones([0, 0, 0, 0, 0]),
  zones([0, 0, 0, 0, 1]),
  zones([1, 0, 0, 0, 0]),
  zones([30, 240, 180, 90, 60]),
  zones([0, 0, 0, 0, 20 * 60]),
  zones([120, 90, 60, 30, 15]),
];

export const extremeData: DashboardData = {
  now: SAMPLE_NOW,
  lastSync: SAMPLE_NOW - 60,
  week: weekOf(extremeDays),
  days: DATES.map((date, i) => ({ date, zoneSeconds: extremeDays[i]! })),
  heartRate24h: heartRateDay(SAMPLE_NOW, 199, 38),
  restingHr: 101,
  lastWorkout: {
    name: "Extremely Long Functional Strength Training With Intervals And Cooldown",
    start: SAMPLE_NOW - 3 * 86400,
    durationS: 20 * 3600 + 59 * 60,
    avgHr: 199,
  },
  lastSleep: { start: SAMPLE_NOW - 14 * 3600, end: SAMPLE_NOW - 2 * 3600, asleepS: 11 * 3600 + 59 * 60, deepS: 3 * 3600 + 33 * 60, remS: 4 * 3600 + 44 * 60 },
  month: monthOf(extremeDays, 5, 101),
  zoneBoundsBpm: SAMPLE_ZONE_BOUNDS,
};

/** A week with one day of data: a single short workout today, nothing else. */
export const oneDayData: DashboardData = {
  now: SAMPLE_NOW,
  lastSync: SAMPLE_NOW - 5 * 60,
  week: zones([5, 22, 0, 0, 0]),
  days: DATES.map((date, i) => ({ date, zoneSeconds: i === 6 ? zones([5, 22, 0, 0, 0]) : zones([0, 0, 0, 0, 0]) })),
  heartRate24h: [
    { ts: SAMPLE_NOW - 3600, bpm: 71 },
    { ts: SAMPLE_NOW - 3300, bpm: 118 },
    { ts: SAMPLE_NOW - 3000, bpm: 124 },
    { ts: SAMPLE_NOW - 2700, bpm: 80 },
  ],
  restingHr: null,
  lastWorkout: { name: "Walk", start: SAMPLE_NOW - 3600, durationS: 27 * 60 },
  lastSleep: null,
};

/** Synced, but every number is zero and every list empty. */
export const zeroData: DashboardData = {
  ...emptyData,
  lastSync: SAMPLE_NOW - 10 * 60,
  days: DATES.map((date) => ({ date, zoneSeconds: zones([0, 0, 0, 0, 0]) })),
};

export const sampleDataSets = {
  empty: emptyData,
  typical: typicalData,
  stale: staleData,
  extreme: extremeData,
  oneDay: oneDayData,
  zero: zeroData,
} satisfies Record<string, DashboardData>;
