import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ledger } from "../ledger/ledger";
import { silentLogger } from "../log";
import { normalizePayload } from "../normalize/index";
import { Pipeline } from "../pipeline";
import { RawLog } from "../raw/rawlog";
import { SqliteStore } from "../store/sqlite";
import { backlogAgeS, collectServerState, rawLogBytes } from "./collect";
import { createMetrics } from "./fitstack";
import { Freshness } from "./freshness";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

test("the backlog's age counts from the first failed delivery, survives in the ledger, and clears on success", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-collect-"));
  dirs.push(dir);
  const ledger = new Ledger(dir);
  const store = new SqliteStore(dir);
  let storeDown = true;
  const writeZones = store.writeZones.bind(store);
  store.writeZones = (rewrite, history) => (storeDown ? Promise.reject(new Error("store down")) : writeZones(rewrite, history));
  const clock = { now: new Date("2026-01-31T12:00:00Z") };
  const metrics = createMetrics("test");
  const rawLog = new RawLog(dir);
  const pipeline = new Pipeline({ ledger, store, rawLog, profileFor: () => ({ mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] }), clock: () => clock.now, log: silentLogger, metrics });
  const freshness = new Freshness(ledger, ["me"], { staleAfterS: 43200, coverageMinH: 12, timeZone: "UTC" }, () => clock.now);
  collectServerState(metrics, { ledger, rawDir: rawLog.dir, storeKind: store.kind, freshness, clock: () => clock.now });
  const body = JSON.stringify({ type: "heart_rate", samples: [{ ts: 1769860000, bpm: 80 }, { ts: 1769860005, bpm: 80 }] });
  const result = await pipeline.accept(new TextEncoder().encode(body), normalizePayload(JSON.parse(body)), "me");
  expect(result.delivered).toBe(false);
  await pipeline.stop(); // no timed retry: the test delivers when it chooses
  clock.now = new Date("2026-01-31T13:30:00Z"); // 90 minutes on, still failing
  const scrape = async () => {
    const text = await metrics.registry.render();
    const value = (series: string) => text.split("\n").find((line) => line.startsWith(`${series} `))?.split(" ")[1];
    return {
      age: value('fitstack_delivery_backlog_age_seconds{store="sqlite"}'),
      users: value('fitstack_delivery_backlog_users{store="sqlite"}'),
      attempts: value('fitstack_delivery_attempts_total{store="sqlite"}'),
      failures: value('fitstack_delivery_failures_total{store="sqlite"}'),
      rawBytes: Number(value("fitstack_raw_log_bytes")),
      lastSync: value('fitstack_last_sync_timestamp_seconds{user="me"}'),
    };
  };
  const received = String(Date.parse("2026-01-31T12:00:00Z") / 1000);
  expect(await scrape()).toEqual({ age: "5400", users: "1", attempts: "1", failures: "1", rawBytes: rawLogBytes(rawLog.dir), lastSync: received });
  expect(rawLogBytes(rawLog.dir)).toBeGreaterThan(body.length);
  storeDown = false;
  expect(await pipeline.deliver()).toBe(true);
  expect(await scrape()).toMatchObject({ age: "0", users: "0", attempts: "2", failures: "1" });
  expect(backlogAgeS(ledger, Math.floor(clock.now.getTime() / 1000))).toBe(0);
  ledger.close();
  rawLog.close();
});
