// Import and webhook together, in-process with the real ledger, raw log and embedded store.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportXml, heartRateRecords, localDate, record } from "../../tests/support/export";
import { Ledger } from "../ledger/ledger";
import { silentLogger } from "../log";
import { normalizeHae } from "../normalize/hae";
import { deliverPending, Pipeline } from "../pipeline";
import { RawLog } from "../raw/rawlog";
import { SqliteStore } from "../store/sqlite";
import { zoneBoundsBpm, type ZoneProfile } from "../transform/zones";
import { importExport } from "./importer";
import { openExport } from "./source";

const root = mkdtempSync(join(tmpdir(), "fitstack-import-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PROFILE: ZoneProfile = { mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] };
const WATCH = "Ann’s Apple Watch";
// 2024-03-05 07:00:00 +0100
const RUN_START = 1709618400;
const NOW = new Date("2024-03-06T12:00:00Z");

/** One day as Health Auto Export posts it. */
const haeDay = {
  data: {
    metrics: [
      { name: "heart_rate", units: "count/min", data: Array.from({ length: 121 }, (_, i) => ({ date: localDate(RUN_START + 5 * i, "+0100"), Min: 150, Avg: 150, Max: 150, source: WATCH })) },
      { name: "resting_heart_rate", units: "count/min", data: [{ date: "2024-03-05 00:03:03 +0100", qty: 52, source: WATCH }] },
      {
        name: "sleep_analysis",
        units: "hr",
        data: [
          { startDate: "2024-03-04 23:00:00 +0100", endDate: "2024-03-05 01:00:00 +0100", value: "Core", qty: 2, source: WATCH },
          { startDate: "2024-03-05 01:00:00 +0100", endDate: "2024-03-05 02:00:00 +0100", value: "Deep", qty: 1, source: WATCH },
          { startDate: "2024-03-05 02:00:00 +0100", endDate: "2024-03-05 03:30:00 +0100", value: "REM", qty: 1.5, source: WATCH },
        ],
      },
    ],
    workouts: [
      {
        id: "5B0C6F0E-9A8B-4C3D-8E2F-1A2B3C4D5E6F",
        name: "Outdoor Run",
        start: "2024-03-05 07:00:00 +0100",
        end: "2024-03-05 07:10:00 +0100",
        duration: 600,
        activeEnergyBurned: { qty: 80, units: "kcal" },
        heartRate: { avg: { qty: 150, units: "bpm" }, max: { qty: 150, units: "bpm" } },
      },
    ],
  },
};

const sleepRecord = (start: string, end: string, value: string) =>
  record({ type: "HKCategoryTypeIdentifierSleepAnalysis", start, end, value: `HKCategoryValueSleepAnalysis${value}`, source: WATCH });

/** The same day in the Health app's export, plus whatever `extra` records. */
function exportOf(extra: string[] = []) {
  return exportXml([
    ...heartRateRecords(RUN_START, 121, 5, () => 150, "+0100", WATCH),
    record({ type: "RestingHeartRate", start: "2024-03-05 00:03:03 +0100", end: "2024-03-05 19:00:00 +0100", value: 52, unit: "count/min", source: WATCH }),
    sleepRecord("2024-03-04 23:00:00 +0100", "2024-03-05 01:00:00 +0100", "AsleepCore"),
    sleepRecord("2024-03-05 01:00:00 +0100", "2024-03-05 02:00:00 +0100", "AsleepDeep"),
    sleepRecord("2024-03-05 02:00:00 +0100", "2024-03-05 03:30:00 +0100", "AsleepREM"),
    ` <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="10" durationUnit="min" sourceName="${WATCH}" startDate="2024-03-05 07:00:00 +0100" endDate="2024-03-05 07:10:00 +0100">`,
    `  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceWalkingRunning" startDate="2024-03-05 07:00:00 +0100" endDate="2024-03-05 07:10:00 +0100" sum="1.5" unit="km"/>`,
    `  <WorkoutStatistics type="HKQuantityTypeIdentifierActiveEnergyBurned" startDate="2024-03-05 07:00:00 +0100" endDate="2024-03-05 07:10:00 +0100" sum="80" unit="Cal"/>`,
    `  <WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate" startDate="2024-03-05 07:00:00 +0100" endDate="2024-03-05 07:10:00 +0100" average="150" minimum="150" maximum="150" unit="count/min"/>`,
    ` </Workout>`,
    ...extra,
  ]);
}

let n = 0;
async function setup(xml: string) {
  const dir = join(root, String(++n));
  const ledger = new Ledger(":memory:");
  const store = new SqliteStore(":memory:");
  const rawLog = new RawLog(dir);
  const pipeline = new Pipeline({ ledger, store, rawLog, profileFor: () => PROFILE, clock: () => NOW, log: silentLogger });
  await Bun.write(join(dir, "export.xml"), xml);
  return {
    async hook() {
      const body = JSON.stringify(haeDay);
      return pipeline.accept(new TextEncoder().encode(body), normalizeHae(JSON.parse(body)), "me");
    },
    async import(path = join(dir, "export.xml")) {
      const report = await importExport(await openExport(path), ledger, { user: "me", boundsBpm: zoneBoundsBpm(PROFILE), sourcePriority: ["Watch"], now: NOW.getTime() / 1000 });
      await deliverPending(ledger, store);
      return report;
    },
    write: (xml: string) => Bun.write(join(dir, "export.xml"), xml),
    summary: (from = RUN_START - 86400, to = RUN_START + 86400) => store.summary("me", from, to),
  };
}

// 121 samples 5 s apart at 150 bpm (z3 from 140 to 160 with HR_MAX 200): 120 × 5 s = 600 s
const EXPECTED = {
  user: "me",
  from: RUN_START - 86400,
  to: RUN_START + 86400,
  zone_seconds: { z1: 0, z2: 0, z3: 600, z4: 0, z5: 0 },
  last_heart_rate: { ts: RUN_START + 600, bpm: 150 },
  resting_heart_rate: { ts: 1709593383, bpm: 52 },
  // one run: 600 s, 80 kcal; its 1.5 km come from the export's WorkoutStatistics
  workouts: { count: 1, distance_m: 1500, duration_s: 600, active_energy_kcal: 80 },
  last_workout: { type: "run", start: RUN_START, end: RUN_START + 600, duration_s: 600, avg_heart_rate: 150 },
  // 2 h core, 1 h deep, 1.5 h REM, ending 03:30 +0100
  last_sleep: { start: 1709589600, end: 1709605800, stage_seconds: { core: 7200, deep: 3600, rem: 5400 } },
};

describe("import beside the webhook", () => {
  test("the same day sent both ways counts once, in both orders", async () => {
    const hookFirst = await setup(exportOf());
    await hookFirst.hook();
    const afterHook = await hookFirst.import();
    expect(afterHook.types.heart_rate).toMatchObject({ read: 121, imported: 0, held: 121 });
    const importFirst = await setup(exportOf());
    await importFirst.import();
    const reply = await importFirst.hook();
    expect(reply).toMatchObject({ accepted_samples: 0, duplicates_dropped: 121 });
    for (const summary of [await hookFirst.summary(), await importFirst.summary()]) {
      expect(summary).toMatchObject(EXPECTED);
    }
  });

  test("importing the same file twice changes nothing and says so; a newer export adds only what is new", async () => {
    const run = await setup(exportOf());
    const first = await run.import();
    expect(first.types.heart_rate).toMatchObject({ read: 121, imported: 121, held: 0 });
    const again = await run.import();
    expect(Object.values(again.types).reduce((sum, t) => sum + t.imported, 0)).toBe(0);
    expect(again.types.heart_rate).toMatchObject({ read: 121, imported: 0, held: 121 });
    expect(again.types.hae_resting_heart_rate).toMatchObject({ read: 1, imported: 0, held: 1 });
    expect(again.types.workouts).toMatchObject({ read: 1, imported: 0, held: 1 });
    expect(again.types.sleep).toMatchObject({ read: 1, imported: 0, held: 1 });
    expect(await run.summary()).toMatchObject(EXPECTED);
    // the next day: 61 more samples at 150 bpm → 60 × 5 = 300 s more in z3
    await run.write(exportOf(heartRateRecords(RUN_START + 86400, 61, 5, () => 150, "+0100", WATCH)));
    const newer = await run.import();
    expect(newer.types.heart_rate).toMatchObject({ read: 182, imported: 61, held: 121 });
    // the first new sample follows the day before's last by a day: a gap credits 10 s at most (in z3)
    expect((await run.summary(RUN_START - 86400, RUN_START + 2 * 86400)).zone_seconds).toEqual({ z1: 0, z2: 0, z3: 910, z4: 0, z5: 0 });
  });
});
