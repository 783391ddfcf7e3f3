// GET /api/load through createApp: auth and errors as /api/summary, the answer for a posted fixture.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../app";
import { Ledger } from "../ledger/ledger";
import { createLogger } from "../log";
import { Pipeline } from "../pipeline";
import { RawLog } from "../raw/rawlog";
import { SqliteStore } from "../store/sqlite";

const TOKEN = "t0ken-for-tests-0123456789";
const NOW = new Date("2026-03-04T12:00:00Z"); // a Wednesday
const zones = { mode: "max" as const, hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] };
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup() {
  const dataDir = mkdtempSync(join(tmpdir(), "fitstack-load-"));
  dirs.push(dataDir);
  const log = createLogger(() => {});
  const ledger = new Ledger(dataDir);
  const store = new SqliteStore(dataDir);
  const pipeline = new Pipeline({ ledger, store, rawLog: new RawLog(dataDir), profileFor: () => zones, clock: () => NOW, log });
  const app = createApp({
    config: { access: [{ token: TOKEN, user: "me", zones }], secretPath: "secret", maxBodyBytes: 1 << 20 },
    pipeline,
    store,
    clock: () => NOW,
    log,
    load: { settings: { timeZone: "Europe/Berlin", weights: [0, 2, 3, 4, 5], weeklyGoalMin: 150 }, firstTs: (user) => ledger.firstTs(user) },
  });
  const get = async (query: string, token: string | null = TOKEN) => {
    const res = await app.handle(new Request(`http://localhost/api/load${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }));
    return { status: res.status, body: (await res.json()) as any };
  };
  const hook = (body: unknown) =>
    app.handle(new Request("http://localhost/hook/secret", { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) }));
  return { get, hook };
}

test("errors: 401 before anything else, 400 with the field for a bad date or range", async () => {
  const { get } = setup();
  expect(await get("?from=nonsense", null)).toEqual({ status: 401, body: { error: { code: "unauthorized", message: "missing or wrong bearer token" } } });
  expect(await get("?from=2026-3-1")).toEqual({ status: 400, body: { error: { code: "invalid_query", message: "from must be a date YYYY-MM-DD", field: "from" } } });
  expect(await get("?to=2026-02-31")).toEqual({ status: 400, body: { error: { code: "invalid_query", message: 'to is not a calendar date: "2026-02-31"', field: "to" } } });
  expect(await get("?from=2026-03-05&to=2026-03-04")).toEqual({ status: 400, body: { error: { code: "invalid_range", message: "from must not be after to", field: "from" } } });
  expect((await get("?from=2000-01-01&to=2026-03-04")).body.error.code).toBe("invalid_range");
});

test("a posted block shows on its local day, in its week, with the curves; no from/to = the last 28 days to today", async () => {
  const { get, hook } = setup();
  // Tue 2026-03-03 23:30 in Berlin (22:30Z): 121 samples 5 s apart at 170 bpm (z4) = 600 s of z4
  const t0 = Date.UTC(2026, 2, 3, 22, 30) / 1000;
  expect((await hook({ type: "heart_rate", samples: Array.from({ length: 121 }, (_, i) => ({ ts: t0 + 5 * i, bpm: 170 })) })).status).toBe(200);
  const { status, body } = await get("?from=2026-03-03&to=2026-03-04");
  expect(status).toBe(200);
  // 10 min z4: trimp 4 × 10 = 40, atl 40/7 = 5.714, ctl 40/42 = 0.952, tsb −4.762; the next day decays: atl × 6/7, ctl × 41/42
  expect(body).toEqual({
    user: "me",
    days: [
      {
        date: "2026-03-03",
        zone_seconds: { z1: 0, z2: 0, z3: 0, z4: 600, z5: 0 },
        trimp: 40, atl: 5.714, ctl: 0.952, tsb: -4.762,
        rhr: null, rhr_baseline: null, rhr_flag: null, hrv: null, hrv_baseline: null, hrv_flag: null,
      },
      {
        date: "2026-03-04",
        zone_seconds: { z1: 0, z2: 0, z3: 0, z4: 0, z5: 0 },
        trimp: 0, atl: 4.898, ctl: 0.93, tsb: -3.968,
        rhr: null, rhr_baseline: null, rhr_flag: null, hrv: null, hrv_baseline: null, hrv_flag: null,
      },
    ],
    // 10 min z4: 10 z2+ minutes, 20 moderate-equivalent
    weeks: [{ week_start: "2026-03-02", z2plus_min: 10, moderate_eq_min: 20, goal_min: 150, trimp: 40 }],
  });
  const defaults = await get("");
  expect([defaults.body.days.length, defaults.body.days[0].date, defaults.body.days.at(-1).date]).toEqual([28, "2026-02-05", "2026-03-04"]);
  expect(defaults.body.weeks[0].week_start).toBe("2026-02-02");
});
