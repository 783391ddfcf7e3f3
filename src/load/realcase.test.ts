// A real year of Health Auto Export daily values (../shared/realcases/hae, used by path; skipped when absent) through
// the hook and GET /api/load on the embedded store: each day's resting rate and HRV, and baselines recomputed here from
// the file itself.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../app";
import { Ledger } from "../ledger/ledger";
import { createLogger } from "../log";
import { Pipeline } from "../pipeline";
import { RawLog } from "../raw/rawlog";
import { SqliteStore } from "../store/sqlite";

const FILE = new URL("../../../shared/realcases/hae/hevymetal-HealthAutoExport-2023-06-17-2025-04-26.json", import.meta.url).pathname;
const TOKEN = "t0ken-for-tests-0123456789";
const present = existsSync(FILE);
if (!present) console.warn(`skipping the real-case load test: ${FILE} is absent`);
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test.skipIf(!present)("a real year of daily resting rate and HRV (New York, stamped at local midnight): values per day, baselines over the 60 days before", async () => {
  const body = readFileSync(FILE, "utf8");
  // the file's own values by date: "2024-05-16 00:00:00 -0400" is that New York date's point
  const metric = (name: string) =>
    new Map<string, number>(
      (JSON.parse(body).data.metrics as { name: string; data: { date: string; qty: number }[] }[])
        .find((m) => m.name === name)!
        .data.map((p) => [p.date.slice(0, 10), p.qty]),
    );
  const rhr = metric("resting_heart_rate");
  const hrv = metric("heart_rate_variability");
  expect([rhr.size, hrv.size]).toEqual([345, 345]);

  const dataDir = mkdtempSync(join(tmpdir(), "fitstack-loadreal-"));
  dirs.push(dataDir);
  const zones = { mode: "max" as const, hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] };
  const log = createLogger(() => {});
  const now = new Date("2025-04-27T12:00:00Z");
  const ledger = new Ledger(dataDir);
  const store = new SqliteStore(dataDir);
  const pipeline = new Pipeline({ ledger, store, rawLog: new RawLog(dataDir), profileFor: () => zones, clock: () => now, log });
  const app = createApp({
    config: { access: [{ token: TOKEN, user: "me", zones }], secretPath: "s", maxBodyBytes: 8 << 20 },
    pipeline,
    store,
    clock: () => now,
    log,
    load: { settings: { timeZone: "America/New_York", weights: [0, 2, 3, 4, 5], weeklyGoalMin: 150 }, firstTs: (user) => ledger.firstTs(user) },
  });
  const auth = { authorization: `Bearer ${TOKEN}` };
  expect((await app.handle(new Request("http://localhost/hook/s", { method: "POST", headers: auth, body }))).status).toBe(200);
  const report = (await (await app.handle(new Request("http://localhost/api/load?from=2024-05-16&to=2025-04-26", { headers: auth }))).json()) as any;

  const round = (n: number) => Math.round(n * 1000) / 1000;
  const dates: string[] = report.days.map((d: any) => d.date);
  expect(report.days.map((d: any) => [d.date, d.rhr, d.hrv])).toEqual(
    // the day's mean, rounded to 3 decimals as both stores answer (the file has e.g. 62.00000000000001)
    dates.map((date) => [date, rhr.has(date) ? round(rhr.get(date)!) : null, hrv.has(date) ? round(hrv.get(date)!) : null]),
  );
  // every baseline from the file: mean and population SD of the values on the 60 dates before, with at least 14
  for (const day of report.days) {
    const i = dates.indexOf(day.date);
    for (const [series, key] of [[rhr, "rhr"], [hrv, "hrv"]] as const) {
      const before = dates.slice(Math.max(0, i - 60), i).flatMap((d) => (series.has(d) ? [round(series.get(d)!)] : []));
      if (before.length < 14) {
        expect({ date: day.date, baseline: day[`${key}_baseline`] }).toEqual({ date: day.date, baseline: null });
        continue;
      }
      const mean = before.reduce((a, b) => a + b, 0) / before.length;
      const sd = Math.sqrt(before.reduce((a, b) => a + (b - mean) ** 2, 0) / before.length);
      expect(day[`${key}_baseline`].mean).toBeCloseTo(mean, 2); // answered rounded to 3 decimals
      expect(day[`${key}_baseline`].sd).toBeCloseTo(sd, 2);
      const value = day[key];
      const flag = value === null ? null : value < mean - sd ? "low" : value > mean + sd ? "high" : "normal";
      expect({ date: day.date, key, flag: day[`${key}_flag`] }).toEqual({ date: day.date, key, flag });
    }
  }
  const flags = report.days.map((d: any) => d.rhr_flag);
  expect(["low", "normal", "high"].every((f) => flags.includes(f))).toBe(true);
  ledger.close();
  await store.close();
});
