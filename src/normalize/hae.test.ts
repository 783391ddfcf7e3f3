import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { HttpError } from "../errors";
import { parseHaeDate } from "./dates";
import { isHaeShape, metricName, normalizeHae } from "./hae";
import type { Normalized } from "./model";

/** Nights as compared by hand: the segments they were built from are checked where they matter (ledger). */
const nightsOf = (sleep: { segments?: unknown }[]) => sleep.map(({ segments, ...night }) => night);

const empty: Normalized = { shape: "hae", heartRate: [], gauges: [], sleep: [], workouts: [], ignored: {} };
const metric = (name: string, units: string, data: unknown[]) => ({ data: { metrics: [{ name, units, data }] } });

function rejection(body: unknown) {
  try {
    normalizeHae(body);
  } catch (error) {
    if (error instanceof HttpError) return { status: error.status, field: error.field, message: error.message };
    throw error;
  }
  throw new Error("expected a 422");
}

describe("isHaeShape", () => {
  test("an object with a data object holding an HAE key, or an empty data object", () => {
    expect([
      isHaeShape({ data: {} }),
      isHaeShape({ data: { metrics: [] } }),
      isHaeShape({ data: { heartRateNotifications: [] }, extra: 1 }),
      isHaeShape({ data: { somethingElse: [] } }),
      isHaeShape({ data: [] }),
      isHaeShape({ data: null }),
      isHaeShape({ samples: [] }),
      isHaeShape([]),
      isHaeShape(null),
      isHaeShape("data"),
    ]).toEqual([true, true, true, false, false, false, false, false, false, false]);
  });
});

describe("normalizeHae: envelope", () => {
  test("an empty data object is an empty result", () => {
    expect(normalizeHae({ data: {} })).toEqual(empty);
  });

  test("a body of another shape is a 422 on `data`", () => {
    expect(rejection({ samples: [] })).toMatchObject({ status: 422, field: "data" });
  });

  test("other arrays and unknown keys are counted, never an error, even hostile keys", () => {
    const body = JSON.parse(
      '{"data": {"metrics": [], "stateOfMind": [{}, {}, {}], "ecg": [{"voltageMeasurements": []}], "medications": [],' +
        ' "heartRateNotifications": [{"start": 1.7e9}], "futureThing": {"a": 1}, "__proto__": [1, 2]}}',
    );
    const out = normalizeHae(body);
    expect({ ...out.ignored }).toEqual({ stateOfMind: 3, ecg: 1, medications: 0, heartRateNotifications: 1, futureThing: 1, ["__proto__"]: 2 });
    expect(Object.getPrototypeOf(out.ignored)).toBe(Object.prototype);
  });
});

describe("normalizeHae: heart_rate", () => {
  test("one sample per point at its instant, bpm = Avg (or qty), source '' when absent", () => {
    const out = normalizeHae(
      metric("heart_rate", "count/min", [
        { date: "2022-07-23 00:01:41 +0200", Min: 81.3, Avg: 83.16, Max: 85, source: "Watch" },
        { date: "2022-07-23 00:02:41 +0200", qty: 90 },
        { date: "2022-07-23 00:03:41 +0200", Min: 10, Avg: 300, Max: 400, source: "" },
      ]),
    );
    // 2022-07-23 00:01:41 +0200 = 2022-07-22 22:01:41Z. 2022-01-01 = 52*365 + 13 leap days = 18993;
    // + 181 (Jan..Jun) + 21 = 19195 days → 1658448000 + 79301 = 1658527301.
    expect(out.heartRate).toEqual([
      { ts: 1658527301, bpm: 83.16, source: "Watch", device: "" },
      { ts: 1658527361, bpm: 90, source: "", device: "" },
      // Out-of-range bpm is passed through: the transform drops and counts it.
      { ts: 1658527421, bpm: 300, source: "", device: "" },
    ]);
    expect(out.gauges).toEqual([]);
  });

  test("a point without a finite bpm is a 422 naming the path", () => {
    expect(rejection(metric("heart_rate", "count/min", [{ date: "2022-07-23 00:01:41 +0200", Min: 1, Max: 2 }]))).toEqual({
      status: 422,
      field: "data.metrics[0].data[0].Avg",
      message: "data.metrics[0].data[0] has neither Avg nor qty: no heart rate to read",
    });
    expect(rejection(metric("heart_rate", "bpm", [{ date: "2022-07-23 00:01:41 +0200", Avg: Number.NaN }]))).toMatchObject({
      status: 422,
      field: "data.metrics[0].data[0].Avg",
    });
  });
});

describe("normalizeHae: gauges", () => {
  test("qty metrics become hae_<name> gauges with normalised units", () => {
    const body = {
      data: {
        metrics: [
          { name: "resting_heart_rate", units: "bpm", data: [{ date: "2024-08-24 00:00:00 +0000", qty: 57 }] },
          { name: "active_energy", units: "kJ", data: [{ date: "2024-08-24 00:00:00 +0000", qty: 4184, source: "Watch|iPhone" }] },
          { name: "vo2max", units: "mL/min·kg", data: [{ date: "2024-08-24 00:00:00 +0000", qty: 41.5 }] },
          { name: "vo2_max", units: "ml/(kg·min)", data: [{ date: "2024-08-25 00:00:00 +0000", qty: 42 }] },
          { name: "blood_pressure", units: "mmHg", data: [{ date: "2024-08-24 08:00:00 +0000", systolic: 120, diastolic: 80 }] },
          { name: "handwashing", units: "count", data: [{ date: "2024-08-24 08:00:00 +0000", value: "Complete" }, { date: "2024-08-24 09:00:00 +0000" }] },
        ],
      },
    };
    // 2024-08-24 = 19959 days → 1724457600; 08:00 → +28800.
    const day = 1724457600;
    expect(normalizeHae(body)).toEqual({
      ...empty,
      gauges: [
        { name: "hae_resting_heart_rate", unit: "count/min", ts: day, value: 57, source: "" },
        { name: "hae_active_energy", unit: "kcal", ts: day, value: 1000, source: "Watch|iPhone" },
        { name: "hae_vo2_max", unit: "mL/min·kg", ts: day, value: 41.5, source: "" },
        { name: "hae_vo2_max", unit: "ml/(kg·min)", ts: day + 86400, value: 42, source: "" },
        { name: "hae_blood_pressure_systolic", unit: "mmHg", ts: day + 28800, value: 120, source: "" },
        { name: "hae_blood_pressure_diastolic", unit: "mmHg", ts: day + 28800, value: 80, source: "" },
      ],
      ignored: { "metric:handwashing": 2 },
    });
  });

  test("hostile metric names never leave [a-z0-9_]", () => {
    expect([
      metricName('step_count{job="admin"} 1\n'),
      metricName("../../etc/passwd"),
      metricName("Heart Rate"),
      metricName("HEART_RATE"),
      metricName("İstanbul_ß"), // "İ".toLowerCase() is "i" + U+0307
      metricName("__proto__"),
      metricName("x".repeat(500)).length,
    ]).toEqual(["step_count_job__admin___1_", "______etc_passwd", "heart_rate", "heart_rate", "i_stanbul__", "__proto__", 100]);
    const out = normalizeHae(metric('x"} evil{a="b', "count", [{ date: "2024-08-24 00:00:00 +0000", qty: 1 }]));
    expect(out.gauges.map((g) => g.name)).toEqual(["hae_x___evil_a__b"]);
  });

  test("a bad qty or date is a 422 with its path", () => {
    const body = {
      data: {
        metrics: [
          { name: "step_count", units: "count", data: [{ date: "2024-08-24 00:00:00 +0000", qty: 1 }] },
          { name: "step_count", units: "count", data: [{ date: "2024-08-24 00:00:00 +0000", qty: 1 }, { date: "2024-08-24 01:00:00", qty: 2 }] },
        ],
      },
    };
    expect(rejection(body)).toEqual({
      status: 422,
      field: "data.metrics[1].data[1].date",
      message: 'data.metrics[1].data[1].date is an invalid date "2024-08-24 01:00:00": no UTC offset',
    });
    expect(rejection(metric("step_count", "count", [{ date: "2024-08-24 00:00:00 +0000", qty: null }]))).toEqual({
      status: 422,
      field: "data.metrics[0].data[0].qty",
      message: "data.metrics[0].data[0].qty must be a finite number, got null",
    });
  });
});

describe("normalizeHae: sleep_analysis", () => {
  test("A (before 6.6.2): asleep is all sleep; sources joined; night = in-bed/sleep envelope", () => {
    const out = normalizeHae(
      metric("sleep_analysis", "hr", [
        {
          date: "2021-12-18 09:03:36 +0800",
          asleep: 6.11,
          sleepStart: "2021-12-18 02:21:06 +0800",
          sleepEnd: "2021-12-18 08:57:06 +0800",
          sleepSource: "Watch",
          inBed: 6.81,
          inBedStart: "2021-12-18 02:12:50 +0800",
          inBedEnd: "2021-12-18 09:04:45 +0800",
          inBedSource: "iPhone",
        },
      ]),
    );
    // start = inBedStart 2021-12-17 18:12:50Z = 1639764770; end = inBedEnd 01:04:45Z = 1639789485
    // (window 24715 s); asleep 6.11 h = 21996 s, inBed 6.81 h = 24516 s (both fit the window).
    expect(out.sleep).toEqual([
      { start: 1639764770, end: 1639789485, source: "Watch|iPhone", stageSeconds: { asleep: 21996, in_bed: 24516 } },
    ]);
  });

  const shapeB = {
    date: "2024-02-06",
    totalSleep: 7.5,
    asleep: 0,
    core: 3.5,
    deep: 1.5,
    rem: 2.0,
    awake: 0.3,
    sleepStart: "2024-02-05 23:00:00 -0800",
    sleepEnd: "2024-02-06 06:30:00 -0800",
    inBed: 8.0,
    inBedStart: "2024-02-05 22:45:00 -0800",
    inBedEnd: "2024-02-06 06:45:00 -0800",
    source: "iPhone|Apple Watch",
  };

  test("B (6.6.2+): stages in seconds, asleep is the unstaged part, totalSleep not stored", () => {
    const out = normalizeHae(metric("sleep_analysis", "hr", [shapeB]));
    // 22:45 -0800 = 06:45Z on 2024-02-06 = 1707177600 + 24300; 06:45 -0800 = 14:45Z = 1707177600 + 53100.
    // core 3.5 h = 12600, deep 1.5 h = 5400, rem 2 h = 7200, awake 0.3 h = 1080, inBed 8 h = 28800.
    expect(out.sleep).toEqual([
      {
        start: 1707201900,
        end: 1707230700,
        source: "iPhone|Apple Watch",
        stageSeconds: { deep: 5400, core: 12600, rem: 7200, awake: 1080, asleep: 0, in_bed: 28800 },
      },
    ]);
  });

  test("B without inBedStart/End (8.2.12), a timestamp or null date, a stageless source", () => {
    const { inBedStart: _s, inBedEnd: _e, ...noInBedTimes } = shapeB;
    const out = normalizeHae(
      metric("sleep_analysis", "hr", [
        { ...noInBedTimes, date: "2024-02-06 05:10:00 -0800" },
        { date: null, asleep: 7, core: 0, deep: 0, rem: 0, sleepStart: "2024-02-06 23:00:00 -0800", sleepEnd: "2024-02-07 06:00:00 -0800", source: "Hume" },
      ]),
    );
    // Window 23:00 → 06:30 -0800 = 27000 s, so inBed 28800 is capped at 27000.
    // Second: 2024-02-07 07:00Z = 1707177600 + 86400 + 25200; asleep 7 h = 25200.
    expect(out.sleep).toEqual([
      { start: 1707202800, end: 1707229800, source: "iPhone|Apple Watch", stageSeconds: { deep: 5400, core: 12600, rem: 7200, awake: 1080, asleep: 0, in_bed: 27000 } },
      { start: 1707289200, end: 1707314400, source: "Hume", stageSeconds: { deep: 0, core: 0, rem: 0, asleep: 25200 } },
    ]);
  });

  test("B summing overlapping sources: stages scaled to fit the window, in-bed capped", () => {
    const out = normalizeHae(
      metric("sleep_analysis", "hr", [
        { date: "2024-02-06", core: 8, deep: 4, rem: 2, awake: 2, asleep: 0, inBed: 20, sleepStart: "2024-02-05 22:00:00 -0800", sleepEnd: "2024-02-06 06:00:00 -0800", source: "A|B" },
      ]),
    );
    // Window 8 h = 28800 s; stages 16 h = 57600 s → factor 1/2; inBed 72000 → 28800.
    expect(out.sleep[0]!.stageSeconds).toEqual({ deep: 7200, core: 14400, rem: 3600, awake: 3600, asleep: 0, in_bed: 28800 });
  });

  test("C (segments): grouped per source by the 3 h gap, per-stage union, in-bed apart", () => {
    const seg = (value: string, from: string, to: string, source = "Watch") => ({
      startDate: `2024-02-${from} -0800`,
      endDate: `2024-02-${to} -0800`,
      value,
      qty: 0,
      source,
      date: null,
    });
    const out = normalizeHae(
      metric("sleep_analysis", "hr", [
        seg("In Bed", "05 22:50:00", "06 07:00:00"),
        seg("Core", "05 23:00:00", "05 23:30:00"),
        seg("Deep", "05 23:30:00", "06 00:30:00"),
        seg("REM", "06 00:30:00", "06 01:00:00"),
        seg("Awake", "06 01:00:00", "06 01:10:00"),
        seg("Core", "06 01:10:00", "06 06:30:00"),
        seg("Core", "06 01:10:00", "06 06:30:00"), // resent duplicate: not counted twice
        seg("InBed", "06 06:00:00", "06 07:00:00"), // overlaps the first in-bed segment
        seg("Unspecified", "06 14:00:00", "06 14:30:00"), // 7 h after 07:00: a separate nap
        seg("Asleep", "05 23:00:00", "06 06:00:00", "Health"),
        seg("Dozing", "06 06:30:00", "06 06:40:00"), // unknown value
      ]),
    );
    // Watch night: 22:50 -0800 (06:50Z = 1707177600 + 24600) → 07:00 (15:00Z = 1707177600 + 54000).
    // core 1800 + 19200 = 21000; deep 3600; rem 1800; awake 600; in bed 22:50..07:00 = 29400.
    // Nap: 14:00..14:30 -0800 = 22:00Z..22:30Z → 1707256800..1707258600, asleep 1800.
    // Health: 23:00..06:00 -0800 = 1707202800..1707228000, asleep 25200.
    expect(nightsOf(out.sleep)).toEqual([
      { start: 1707202200, end: 1707231600, source: "Watch", stageSeconds: { in_bed: 29400, core: 21000, deep: 3600, rem: 1800, awake: 600 } },
      { start: 1707256800, end: 1707258600, source: "Watch", stageSeconds: { asleep: 1800 } },
      { start: 1707202800, end: 1707228000, source: "Health", stageSeconds: { asleep: 25200 } },
    ]);
    expect(out.ignored).toEqual({ "metric:sleep_analysis": 1 });
  });

  test("a segment ending before it starts is a 422; an unknown sleep shape is ignored", () => {
    expect(
      rejection(
        metric("sleep_analysis", "hr", [{ startDate: "2024-02-06 01:00:00 -0800", endDate: "2024-02-06 00:00:00 -0800", value: "Core" }]),
      ),
    ).toMatchObject({ status: 422, field: "data.metrics[0].data[0].endDate" });
    const out = normalizeHae(metric("sleep_analysis", "hr", [{ date: "2024-02-06 00:00:00 -0800", qty: 7 }, { asleep: 7, date: "2024-02-06" }]));
    expect(out).toEqual({ ...empty, ignored: { "metric:sleep_analysis": 2 } });
  });
});

describe("normalizeHae: workouts", () => {
  const v2 = {
    id: "7A71FBAD-0000",
    name: "Outdoor Run",
    start: "2026-04-22 21:17:30 -0400",
    end: "2026-04-22 21:40:06 -0400",
    duration: 1356,
    location: "Outdoor",
    distance: { qty: 4.21, units: "km" },
    activeEnergyBurned: { qty: 300, units: "kcal" },
    heartRate: { min: { qty: 98, units: "bpm" }, avg: { qty: 146, units: "bpm" }, max: { qty: 171, units: "bpm" } },
    heartRateData: [{ date: "2026-04-22 21:18:00 -0400", Min: 120, Avg: 131, Max: 140, units: "count/min", source: "Watch" }],
    route: [{ latitude: 45.0, longitude: 12.0, timestamp: "2026-04-22 21:17:31 -0400" }],
    metadata: {},
  };
  // 2026-04-23 01:17:30Z: 2026-01-01 = 56*365 + 14 = 20454 days; + 112 (Jan..Apr 22) = 20566 → 1776902400 + 4650.
  const start = 1776907050;
  const end = start + 22 * 60 + 36; // 21:40:06 - 21:17:30 = 1356 s

  test("v2: totals in kcal and km, heart rate from heartRate{}, heartRateData as samples", () => {
    expect(normalizeHae({ data: { workouts: [v2] } })).toEqual({
      ...empty,
      workouts: [{ id: "7A71FBAD-0000", name: "Outdoor Run", start, end, durationS: 1356, activeEnergyKcal: 300, distanceKm: 4.21, avgHeartRate: 146, maxHeartRate: 171 }],
      heartRate: [{ ts: start + 30, bpm: 131, source: "Watch", device: "" }],
    });
  });

  test("v2 in imperial units with avgHeartRate/maxHeartRate", () => {
    const { heartRate: _h, heartRateData: _d, ...rest } = v2;
    const out = normalizeHae({
      data: { workouts: [{ ...rest, distance: { qty: 2, units: "mi" }, activeEnergyBurned: { qty: 4184, units: "kJ" }, avgHeartRate: { qty: 140 }, maxHeartRate: { qty: 160 } }] },
    });
    // 2 mi = 3.218688 km; 4184 kJ = 1000 kcal.
    expect(out.workouts).toEqual([{ id: "7A71FBAD-0000", name: "Outdoor Run", start, end, durationS: 1356, activeEnergyKcal: 1000, distanceKm: 3.218688, avgHeartRate: 140, maxHeartRate: 160 }]);
  });

  test("bug #60: a flat series starting at the workout end is the recovery, not the workout", () => {
    const recovery = [0, 60, 120].map((s, i) => {
      const bpm = 150 - i * 10;
      return { date: new Date((end + s) * 1000).toISOString().replace(".000Z", "Z"), Min: bpm, Avg: bpm, Max: bpm };
    });
    const out = normalizeHae({ data: { workouts: [{ ...v2, heartRateData: recovery }] } });
    expect([out.heartRate, out.ignored]).toEqual([[], { "workouts.heartRateData:recovery": 3 }]);
    // The same flat series inside the workout is kept.
    const inside = recovery.map((p, i) => ({ ...p, date: `2026-04-22 21:2${i}:00 -0400` }));
    expect(normalizeHae({ data: { workouts: [{ ...v2, heartRateData: inside }] } }).heartRate).toHaveLength(3);
  });

  test("v1: no id (name@start), activeEnergy/totalEnergy totals, qty heart-rate points", () => {
    const v1 = {
      name: "Walking",
      start: "2021-12-24 08:02:43 +0800",
      end: "2021-12-24 08:21:53 +0800",
      totalEnergy: { qty: 500, units: "kcal" },
      activeEnergy: { qty: 4184, units: "kJ" },
      distance: { qty: 1500, units: "m" },
      avgHeartRate: { qty: 108, units: "bpm" },
      maxHeartRate: { qty: 120, units: "bpm" },
      heartRateData: [{ date: "2021-12-24 08:02:47 +0800", qty: 108, units: "bpm" }],
    };
    const { activeEnergy: _a, ...totalOnly } = v1;
    const out = normalizeHae({ data: { workouts: [v1, { ...totalOnly, name: "Hike" }] } });
    // 2021-12-24 08:02:43 +0800 = 00:02:43Z; 2021-12-24 = 18628 + 357 = 18985 days → 1640304000 + 163.
    expect(out.workouts).toEqual([
      { id: "Walking@1640304163", name: "Walking", start: 1640304163, end: 1640305313, durationS: 1150, activeEnergyKcal: 1000, distanceKm: 1.5, avgHeartRate: 108, maxHeartRate: 120 },
      { id: "Hike@1640304163", name: "Hike", start: 1640304163, end: 1640305313, durationS: 1150, activeEnergyKcal: 500, distanceKm: 1.5, avgHeartRate: 108, maxHeartRate: 120 },
    ]);
    expect(out.heartRate).toEqual([
      { ts: 1640304167, bpm: 108, source: "", device: "" },
      { ts: 1640304167, bpm: 108, source: "", device: "" },
    ]);
  });

  test("a workout ending before it starts, or with a bad HR point, is a 422", () => {
    expect(rejection({ data: { workouts: [{ ...v2, end: "2026-04-22 20:00:00 -0400" }] } })).toMatchObject({ status: 422, field: "data.workouts[0].end" });
    expect(rejection({ data: { workouts: [{ ...v2, heartRateData: [{ date: "2026-04-22 21:18:00 -0400", Avg: "131" }] }] } })).toEqual({
      status: 422,
      field: "data.workouts[0].heartRateData[0].Avg",
      message: 'data.workouts[0].heartRateData[0].Avg must be a finite number, got "131"',
    });
  });
});

// Real HAE payloads from ../shared (team workspace only; a user's clone has no ../shared).
const realDir = new URL("../../../shared/realcases/hae/", import.meta.url);
const haveRealCases = existsSync(fileURLToPath(new URL("manifest.json", realDir)));
const realTitle = haveRealCases ? "real HAE payloads" : `real HAE payloads: SKIPPED, ${fileURLToPath(realDir)} is absent`;

interface ManifestEntry {
  file: string;
  metrics: Record<string, number>;
  workouts: number;
  workout_names: string[];
  heart_rate_points: number;
  sleep_shape: string | null;
}

describe.skipIf(!haveRealCases)(realTitle, async () => {
  const manifest: ManifestEntry[] = haveRealCases ? await Bun.file(new URL("manifest.json", realDir)).json() : [];
  const load = async (file: string) => JSON.parse(await Bun.file(new URL(file, realDir)).text());

  test("the manifest lists six files", () => {
    expect(manifest.map((m) => m.file).sort()).toHaveLength(6);
  });

  for (const entry of manifest) {
    test(`${entry.file}: normalises; points per metric match the manifest`, async () => {
      const body = await load(entry.file);
      expect(isHaeShape(body)).toBe(true);
      const out = normalizeHae(body);
      expect(out.ignored).toEqual({});

      const gaugesByMetric: Record<string, number> = {};
      for (const g of out.gauges) gaugesByMetric[g.name] = (gaugesByMetric[g.name] ?? 0) + 1;
      const expectedGauges = Object.fromEntries(
        Object.entries(entry.metrics)
          .filter(([name]) => name !== "heart_rate" && name !== "sleep_analysis")
          .map(([name, count]) => [`hae_${name}`, count]),
      );
      expect(gaugesByMetric).toEqual(expectedGauges);
      expect(out.heartRate).toHaveLength(entry.heart_rate_points);
      if (entry.metrics.heart_rate !== undefined) expect(out.heartRate).toHaveLength(entry.metrics.heart_rate);
      expect(out.workouts).toHaveLength(entry.workouts);
      expect([...new Set(out.workouts.map((w) => w.name))].sort()).toEqual([...entry.workout_names].sort());

      const sleepPoints = entry.metrics.sleep_analysis ?? 0;
      if (entry.sleep_shape === "aggregated-new") expect(out.sleep).toHaveLength(sleepPoints);
      if (entry.sleep_shape === "segments") {
        // Every segment is accounted once: per stage, the nights' seconds equal the segments' spans.
        const segments = body.data.metrics.find((m: { name: string }) => m.name === "sleep_analysis").data;
        const stageOf: Record<string, string> = { Core: "core", Deep: "deep", REM: "rem", Awake: "awake", Asleep: "asleep", InBed: "in_bed" };
        const fromSegments: Record<string, number> = {};
        for (const s of segments) {
          const stage = stageOf[s.value]!;
          fromSegments[stage] = (fromSegments[stage] ?? 0) + parseHaeDate(s.endDate) - parseHaeDate(s.startDate);
        }
        const fromNights: Record<string, number> = {};
        for (const night of out.sleep) {
          for (const [stage, seconds] of Object.entries(night.stageSeconds)) fromNights[stage] = (fromNights[stage] ?? 0) + seconds;
        }
        expect(fromNights).toEqual(fromSegments);
      }
      if (!entry.sleep_shape) expect(out.sleep).toEqual([]);
    });
  }

  test("lifeplatform: first heart_rate point, first workouts, an over-full night", async () => {
    const out = normalizeHae(await load("lifeplatform-HealthAutoExport-2025-12-07-2026-03-07.json"));
    // "2025-12-07 00:00:00 -0800" = 08:00Z; 2025-12-07 = 20089 + 340 = 20429 days → 1765065600 + 28800.
    expect(out.heartRate[0]).toEqual({ ts: 1765094400, bpm: 58.85271317829457, source: "Eight Sleep", device: "" });
    // Flexibility: duration 1336.42 s is kept although end - start is 1170 s; no energy in the file.
    expect(out.workouts[0]).toEqual({
      id: "4D50D9F5-CB8D-4D49-B547-99798905426A",
      name: "Flexibility",
      start: parseHaeDate("2026-03-06 16:41:12 -0800"),
      end: parseHaeDate("2026-03-06 16:41:12 -0800") + 1170,
      durationS: 1336.42,
    });
    expect(out.workouts[1]).toMatchObject({ name: "Traditional Strength Training", durationS: 4439, activeEnergyKcal: 210.87531300751786 });
    // Night 1: 2025-12-06 21:52 → 2025-12-07 10:16 -0800 = 44640 s. Stages: deep 4.175 h = 15030,
    // core 15.55 h = 55980, rem 7.275 h = 26190, awake 10.2 h = 36720 → 133920 s = 3 × the window,
    // so each is divided by 3; inBed 34.05 h is capped at 44640.
    expect(out.sleep[0]).toEqual({
      start: 1765086720,
      end: 1765131360,
      source: "Eight Sleep",
      stageSeconds: { deep: 5010, core: 18660, rem: 8730, awake: 12240, asleep: 0, in_bed: 44640 },
    });
    // walking_running_distance is in mi: stored in km.
    expect(new Set(out.gauges.filter((g) => g.name === "hae_walking_running_distance").map((g) => g.unit))).toEqual(new Set(["km"]));
  });

  test("hevymetal: doubled and U+00A0 sources kept, missing source is '', imperial units converted", async () => {
    const body = await load("hevymetal-HealthAutoExport-2023-06-17-2025-04-26.json");
    const out = normalizeHae(body);
    // "2024-05-16 00:00:00 -0400" = 04:00Z; 2024-05-16 = 19723 + 121 + 15 = 19859 days → 1715817600 + 14400.
    expect(out.heartRate[0]).toEqual({ ts: 1715832000, bpm: 92.22856173570177, source: "Ana’s Apple\u00a0Watch|Ana’s Apple\u00a0Watch", device: "" });
    expect(out.gauges.find((g) => g.name === "hae_vo2_max")).toEqual({ name: "hae_vo2_max", unit: "ml/(kg·min)", ts: 1715832000, value: 37.27, source: "" });
    const weightLb = body.data.metrics.find((m: { name: string }) => m.name === "weight_body_mass").data[0].qty;
    expect(out.gauges.find((g) => g.name === "hae_weight_body_mass")).toMatchObject({ unit: "kg", value: weightLb * 0.45359237 });
    const tempF = body.data.metrics.find((m: { name: string }) => m.name === "apple_sleeping_wrist_temperature").data[0].qty;
    expect(out.gauges.find((g) => g.name === "hae_apple_sleeping_wrist_temperature")).toMatchObject({ unit: "degC", value: ((tempF - 32) * 5) / 9 });
  });

  test("healthsync: per-sample heart rate and one night of segments", async () => {
    const out = normalizeHae(await load("healthsync-HealthAutoExport-2025-08-24.json"));
    // "2025-08-24 00:03:03 +0100" = 2025-08-23 23:03:03Z; 2025-08-23 = 20089 + 212 + 22 = 20323 → 1755907200 + 82983.
    expect(out.heartRate[0]).toEqual({ ts: 1755990183, bpm: 90, source: "Sam’s Apple\u00a0Watch", device: "" });
    // 00:02:47 → 09:25:17 +0100; Core 5.425 h, Deep 1.1667 h, REM 1.625 h, Awake 1.1583 h (sums of qty).
    expect(nightsOf(out.sleep)).toEqual([
      { start: 1755990167, end: 1755990167 + 9 * 3600 + 22 * 60 + 30, source: "Sam’s Apple\u00a0Watch", stageSeconds: { core: 19530, deep: 4200, rem: 5850, awake: 4170 } },
    ]);
  });

  test("starbackr: a month of segments is 28 watch nights plus the manual Health night", async () => {
    const out = normalizeHae(await load("starbackr-sleep-analysis-2.json"));
    expect(out.sleep.filter((n) => n.source === "kim’s Apple\u00a0Watch")).toHaveLength(28);
    // 2025-05-04 23:02 → 2025-05-05 06:20 -0400 = 7 h 18 min = 26280 s.
    expect(nightsOf(out.sleep.filter((n) => n.source === "Health"))).toEqual([
      { start: parseHaeDate("2025-05-04 23:02:00 -0400"), end: parseHaeDate("2025-05-05 06:20:00 -0400"), source: "Health", stageSeconds: { asleep: 26280 } },
    ]);
    // Nights never overlap within a source and always end after they start.
    expect(out.sleep.every((n) => n.end > n.start)).toBe(true);
  });

  test("irvinlim v1 workout and joshuacoles v1 step_count", async () => {
    const workouts = normalizeHae(await load("irvinlim-unmarshal-workouts.json"));
    expect(workouts).toEqual({
      ...empty,
      // 226.21122641832523 kJ / 4.184 → kcal; duration = end - start = 19 min 10 s.
      workouts: [{ id: "Walking@1640304163", name: "Walking", start: 1640304163, end: 1640305313, durationS: 1150, activeEnergyKcal: 226.21122641832523 / 4.184 }],
      heartRate: [{ ts: 1640304167, bpm: 108, source: "", device: "" }],
    });
    const steps = normalizeHae(await load("joshuacoles-test-main-step-count.json"));
    // 2021-03-14 00:01:00Z: 2021-03-14 = 18628 + 72 = 18700 days → 1615680000 + 60.
    const t0 = 1615680060;
    expect(steps.gauges.map((g) => [g.ts - t0, g.value])).toEqual([
      [0, 34],
      [50 * 60, 25],
      [72 * 60, 8.2796763649358063],
      [73 * 60, 17.719295979506633],
      [74 * 60, 17.719295979506636],
      [75 * 60, 7.2817316760509208],
    ]);
    expect(steps.gauges[0]).toEqual({ name: "hae_step_count", unit: "count", ts: t0, value: 34, source: "" });
  });
});
