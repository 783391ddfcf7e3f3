import { describe, expect, test } from "bun:test";
import { exportXml, PHONE_DEVICE, record, WATCH_DEVICE } from "../../tests/support/export";
import { scanHealthXml } from "../import/scanner";
import { HealthKitAdapter, parseSourcePriority, type HealthKitOptions } from "./healthkit";
import { workoutName } from "./healthkit-types";
import type { GaugeSample, HeartRateSample, SleepSegment, Workout } from "./model";
import { nightsFromSegments } from "./hae-sleep";

async function adapt(body: string[], options: Partial<HealthKitOptions> = {}) {
  const out = { heartRate: [] as HeartRateSample[], gauges: [] as GaugeSample[], sleep: [] as { source: string; segments: SleepSegment[]; nights: number }[], workouts: [] as Workout[], skipped: {} as Record<string, number> };
  const adapter = new HealthKitAdapter(
    {
      heartRate: (s) => out.heartRate.push(s),
      gauge: (g) => out.gauges.push(g),
      sleep: (source, segments, nights) => out.sleep.push({ source, segments, nights }),
      workout: (w) => out.workouts.push(w),
      skipped: (key, reason) => (out.skipped[`${key}: ${reason}`] = (out.skipped[`${key}: ${reason}`] ?? 0) + 1),
    },
    { sourcePriority: parseSourcePriority(undefined), ...options },
  );
  async function* bytes() {
    yield new TextEncoder().encode(exportXml(body));
  }
  await scanHealthXml(bytes(), adapter);
  adapter.finish();
  return out;
}

// 2024-01-01 08:00:00 UTC
const T = 1704096000;

describe("HealthKit export → normalized model", () => {
  test("heart rate: samples at startDate, source = sourceName, no device (as HAE sends them); count/s → bpm", async () => {
    const out = await adapt([
      record({ type: "HeartRate", start: "2024-01-01 09:00:05 +0100", value: 61, unit: "count/min", device: WATCH_DEVICE }),
      record({ type: "HeartRate", start: "2024-01-01 08:00:10 +0000", value: 1.5, unit: "count/s", source: "Polar" }),
    ]);
    expect(out.heartRate).toEqual([
      { ts: T + 5, bpm: 61, source: "Ann’s Apple Watch", device: "" },
      { ts: T + 10, bpm: 90, source: "Polar", device: "" },
    ]);
  });

  test("gauges with HAE's names and units: VO2 max unit, % fractions → percent, lb → kg, an unknown quantity by its identifier", async () => {
    const out = await adapt([
      record({ type: "RestingHeartRate", start: "2024-01-01 08:00:00 +0000", end: "2024-01-01 20:00:00 +0000", value: 52, unit: "count/min" }),
      record({ type: "VO2Max", start: "2024-01-01 08:00:01 +0000", value: 41.5, unit: "mL/min&#183;kg" }),
      record({ type: "OxygenSaturation", start: "2024-01-01 08:00:02 +0000", value: 0.96, unit: "%" }),
      record({ type: "BodyMass", start: "2024-01-01 08:00:03 +0000", value: 150, unit: "lb" }),
      record({ type: "DietaryWater", start: "2024-01-01 08:00:04 +0000", value: 250, unit: "mL" }),
      record({ type: "HeartRateVariabilitySDNN", start: "2024-01-01 08:00:05 +0000", value: 32.5, unit: "ms", children: '  <HeartRateVariabilityMetadataList>\n   <InstantaneousBeatsPerMinute bpm="95" time="6:14:48.94 PM"/>\n   <InstantaneousBeatsPerMinute bpm="96" time="6:14:49.57 PM"/>\n  </HeartRateVariabilityMetadataList>' }),
    ]);
    const source = "Ann’s Apple Watch";
    expect(out.gauges).toEqual([
      { name: "hae_resting_heart_rate", unit: "count/min", ts: T, value: 52, source },
      { name: "hae_vo2_max", unit: "ml/(kg·min)", ts: T + 1, value: 41.5, source },
      { name: "hae_blood_oxygen_saturation", unit: "%", ts: T + 2, value: 96, source },
      // 150 lb × 0.45359237 = 68.0388555 kg
      { name: "hae_weight_body_mass", unit: "kg", ts: T + 3, value: 68.0388555, source },
      { name: "hae_dietary_water", unit: "mL", ts: T + 4, value: 250, source },
      { name: "hae_heart_rate_variability", unit: "ms", ts: T + 5, value: 32.5, source },
    ]);
    // the HRV record's beat-to-beat readings are not heart-rate samples
    expect(out.heartRate).toEqual([]);
    expect(out.skipped).toEqual({ "hrv_instantaneous_bpm: beat-to-beat readings of an HRV record, not heart-rate samples": 2, "element:Me: not imported": 1 });
  });

  test("cumulative quantities: hourly totals, the best source present in each hour counts alone", async () => {
    const steps = (start: string, value: number, source: string, device?: string) =>
      record({ type: "StepCount", start, end: start, value, unit: "count", source, device });
    const body = [
      steps("2024-01-01 08:05:00 +0000", 300, "Ann’s Apple Watch", WATCH_DEVICE),
      steps("2024-01-01 08:40:00 +0000", 200, "Ann’s Apple Watch", WATCH_DEVICE),
      steps("2024-01-01 08:10:00 +0000", 450, "Ann’s iPhone", PHONE_DEVICE),
      steps("2024-01-01 09:10:00 +0000", 100, "Ann’s iPhone", PHONE_DEVICE),
      steps("2024-01-01 08:20:00 +0000", 999, "Pedometer++"),
      // offsets differ within one file: 10:30 +0200 is 08:30 UTC
      steps("2024-01-01 10:30:00 +0200", 50, "Ann’s Apple Watch", WATCH_DEVICE),
      record({ type: "ActiveEnergyBurned", start: "2024-01-01 08:00:00 +0000", value: 1046, unit: "kJ" }),
    ];
    const byDefault = await adapt(body);
    expect(byDefault.gauges).toEqual([
      // hour 08: the watch's 300 + 200 + 50 (the iPhone's 450 and the app's 999 are the same steps again)
      { name: "hae_step_count", unit: "count", ts: T, value: 550, source: "Ann’s Apple Watch" },
      // hour 09: only the iPhone recorded
      { name: "hae_step_count", unit: "count", ts: T + 3600, value: 100, source: "Ann’s iPhone" },
      // 1046 kJ / 4.184 = 250 kcal
      { name: "hae_active_energy", unit: "kcal", ts: T, value: 250, source: "Ann’s Apple Watch" },
    ]);
    const phoneFirst = await adapt(body, { sourcePriority: parseSourcePriority("iPhone,Watch") });
    expect(phoneFirst.gauges.slice(0, 2).map((g) => [g.ts, g.value, g.source])).toEqual([
      [T, 450, "Ann’s iPhone"],
      [T + 3600, 100, "Ann’s iPhone"],
    ]);
  });

  test("sleep: the values of every iOS generation become the stages of the per-segment nights", async () => {
    const sleep = (start: string, end: string, value: string, source = "Ann’s Apple Watch") =>
      record({ type: "HKCategoryTypeIdentifierSleepAnalysis", start, end, value: `HKCategoryValueSleepAnalysis${value}`, source });
    const out = await adapt([
      // iOS 12: InBed + Asleep
      sleep("2019-03-01 23:00:00 +0000", "2019-03-02 07:00:00 +0000", "InBed", "Ann’s iPhone"),
      sleep("2019-03-01 23:30:00 +0000", "2019-03-02 06:30:00 +0000", "Asleep", "Ann’s iPhone"),
      // iOS 16+: stages, Awake, and AsleepUnspecified for an older night
      sleep("2023-03-01 23:00:00 +0000", "2023-03-02 01:00:00 +0000", "AsleepCore"),
      sleep("2023-03-02 01:00:00 +0000", "2023-03-02 02:00:00 +0000", "AsleepDeep"),
      sleep("2023-03-02 02:00:00 +0000", "2023-03-02 02:10:00 +0000", "Awake"),
      sleep("2023-03-02 02:10:00 +0000", "2023-03-02 03:40:00 +0000", "AsleepREM"),
      sleep("2021-05-01 23:00:00 +0000", "2021-05-02 06:00:00 +0000", "AsleepUnspecified"),
      sleep("2021-05-03 23:00:00 +0000", "2021-05-04 06:00:00 +0000", "Dozing"),
    ]);
    expect(out.sleep.map((s) => s.source)).toEqual(["Ann’s iPhone", "Ann’s Apple Watch"]);
    expect(out.skipped["sleep: unknown sleep value"]).toBe(1);
    const nights = out.sleep.flatMap((s) => nightsFromSegments(s.source, s.segments).map((n) => n.stageSeconds));
    expect(nights).toEqual([
      { in_bed: 8 * 3600, asleep: 7 * 3600 },
      { asleep: 7 * 3600 },
      { core: 7200, deep: 3600, awake: 600, rem: 5400 },
    ]);
    expect(out.sleep.map((s) => s.nights)).toEqual([1, 2]);
  });

  test("workouts: totals from attributes (before iOS 16) or from WorkoutStatistics (iOS 16+)", async () => {
    const out = await adapt([
      ` <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30" durationUnit="min" totalDistance="5.2" totalDistanceUnit="km" totalEnergyBurned="320" totalEnergyBurnedUnit="kcal" sourceName="Watch" startDate="2018-06-01 07:00:00 +0000" endDate="2018-06-01 07:31:00 +0000"/>`,
      ` <Workout workoutActivityType="HKWorkoutActivityTypeTraditionalStrengthTraining" duration="45.5" durationUnit="min" sourceName="Watch" startDate="2023-06-01 18:00:00 +0200" endDate="2023-06-01 18:46:00 +0200">`,
      `  <MetadataEntry key="HKIndoorWorkout" value="1"/>`,
      `  <WorkoutStatistics type="HKQuantityTypeIdentifierActiveEnergyBurned" startDate="x" endDate="y" sum="250.5" unit="Cal"/>`,
      `  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceWalkingRunning" startDate="x" endDate="y" sum="1" unit="mi"/>`,
      `  <WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate" startDate="x" endDate="y" average="128.5" minimum="80" maximum="171" unit="count/min"/>`,
      ` </Workout>`,
    ]);
    expect(out.workouts).toEqual([
      { id: "healthkit:Running@1527836400", name: "Running", start: 1527836400, end: 1527836400 + 1860, durationS: 1800, activeEnergyKcal: 320, distanceKm: 5.2 },
      {
        id: "healthkit:Traditional Strength Training@1685635200",
        name: "Traditional Strength Training",
        start: 1685635200,
        end: 1685635200 + 2760,
        durationS: 2730,
        activeEnergyKcal: 250.5,
        distanceKm: 1.609344,
        avgHeartRate: 128.5,
        maxHeartRate: 171,
      },
    ]);
    expect(workoutName("HKWorkoutActivityTypeHighIntensityIntervalTraining")).toBe("High Intensity Interval Training");
  });

  test("records inside a Correlation repeat top-level ones and are skipped; --since skips earlier local dates", async () => {
    const out = await adapt(
      [
        ` <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Omron" startDate="2024-01-02 08:00:00 +0000" endDate="2024-01-02 08:00:00 +0000">`,
        record({ type: "BloodPressureSystolic", start: "2024-01-02 08:00:00 +0000", value: 120, unit: "mmHg", source: "Omron" }),
        ` </Correlation>`,
        record({ type: "BloodPressureSystolic", start: "2024-01-02 08:00:00 +0000", value: 120, unit: "mmHg", source: "Omron" }),
        record({ type: "HeartRate", start: "2023-12-31 23:59:59 +0000", value: 60, unit: "count/min" }),
        record({ type: "HeartRate", start: "2024-01-01 00:30:00 +0100", value: 62, unit: "count/min" }),
      ],
      { since: "2024-01-01" },
    );
    expect(out.gauges).toEqual([{ name: "hae_blood_pressure_systolic", unit: "mmHg", ts: 1704182400, value: 120, source: "Omron" }]);
    // local date 2024-01-01 (23:30 UTC the day before) is kept
    expect(out.heartRate).toEqual([{ ts: 1704065400, bpm: 62, source: "Ann’s Apple Watch", device: "" }]);
    expect(out.skipped).toMatchObject({ "hae_blood_pressure_systolic: inside a Correlation (repeats a top-level record)": 1, "heart_rate: before --since": 1 });
  });
});
