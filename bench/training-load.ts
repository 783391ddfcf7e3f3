// GET /api/load for a year on the embedded store holding a year of per-minute heart rate (525,600 credits) and daily
// resting HR and HRV, through the real app in-process. Baseline in the same run: one Store.summary over the year.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../src/app";
import { loadConfig } from "../src/config";
import { Ledger } from "../src/ledger/ledger";
import { silentLogger } from "../src/log";
import { Pipeline } from "../src/pipeline";
import { RawLog } from "../src/raw/rawlog";
import { SqliteStore } from "../src/store/sqlite";
import { readLoad } from "../src/load/report";
import { VmStore } from "../src/store/vm";
import { addDays } from "../src/trmnl/localTime";
import { startVm, vmUnavailable } from "../tests/support/vm";

const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const TOKEN = "bench-token-0123456789";
const DAYS = 365;

const dataDir = mkdtempSync(join(tmpdir(), "fitstack-loadbench-"));
try {
  const config = loadConfig({ AUTH_TOKEN: TOKEN, SECRET_PATH: "b", DATA_DIR: dataDir, USER_TZ: "Europe/Berlin" });
  const now = new Date("2026-11-30T12:00:00Z");
  const to = "2026-11-30";
  const from = addDays(to, 1 - DAYS);
  const first = Date.parse(`${from}T00:00:00Z`) / 1000;
  const store = new SqliteStore(dataDir);
  // a year of per-minute heart rate: each minute earns 10 s (the gap cap) in a zone that follows the hour of day
  const credits = Array.from({ length: DAYS * 1440 }, (_, i) => {
    const hour = Math.floor(i / 60) % 24;
    const zone = hour === 18 ? 1 + (i % 4) : 0;
    return { ts: first + 60 * i, bpm: 60 + 25 * zone, zone, seconds: 10 };
  });
  await store.writeZones({ user: "me", since: first, previousTs: null, earlier: [], credits });
  const gauges = Array.from({ length: DAYS }, (_, d) => [
    { name: "hae_resting_heart_rate", unit: "count/min", ts: first + d * 86400, value: 50 + (d % 7), revision: 0 },
    { name: "hae_heart_rate_variability", unit: "ms", ts: first + d * 86400 + 3600, value: 40 + (d % 11), revision: 0 },
  ]).flat();
  await store.writeRecords({ user: "me", gauges, movedSeries: [], nights: [], workouts: [] });

  const ledger = new Ledger(dataDir);
  const pipeline = new Pipeline({ ledger, store, rawLog: new RawLog(dataDir), profileFor: () => config.zones, clock: () => now, log: silentLogger });
  const app = createApp({
    config,
    pipeline,
    store,
    clock: () => now,
    log: silentLogger,
    load: { settings: { timeZone: config.timeZone, ...config.load }, firstTs: () => first },
  });
  const request = () => app.handle(new Request(`http://localhost/api/load?from=${from}&to=${to}`, { headers: { authorization: `Bearer ${TOKEN}` } }));

  const apiMs: number[] = [];
  const scanMs: number[] = [];
  let days = 0;
  for (let i = 0; i < 12; i++) {
    let started = performance.now();
    const res = await request();
    const body = (await res.json()) as { days: unknown[] };
    if (i > 1) apiMs.push(performance.now() - started);
    days = body.days.length;
    started = performance.now();
    await store.summary("me", first - 1, first + DAYS * 86400);
    if (i > 1) scanMs.push(performance.now() - started);
  }
  const api = median(apiMs);
  const scanBase = median(scanMs);
  console.log(`/api/load over ${days} days (history read from the first day: ${DAYS} days, ${credits.length.toLocaleString("en")} per-minute credits, Europe/Berlin), median of 10 after 2 warm-ups; the machine is shared and noisy`);
  console.log();
  console.log("| what | median (ms) | vs one /api/summary over the year |");
  console.log("|---|---|---|");
  console.log(`| GET /api/load (embedded store, in-process app) | ${api.toFixed(1)} | ${(api / scanBase).toFixed(2)}× |`);
  console.log(`| baseline: Store.summary over the whole year (one range) | ${scanBase.toFixed(1)} | 1× |`);
  await store.close();
  ledger.close();

  // VictoriaMetrics: the same year, /api/load's reading, and what every delivery adds (rewriting training_* from a changed day)
  if (!vmUnavailable()) {
    const vm = await startVm();
    try {
      const settings = { timeZone: config.timeZone, ...config.load };
      const vmStore = new VmStore({ writeUrl: vm.url, readUrl: vm.url, stateDir: dataDir, training: { settings, clock: () => now } });
      // slices of whole days (34 days of minutes), as the ledger gives them
      for (let i = 0; i < credits.length; i += 34 * 1440) {
        const slice = credits.slice(i, i + 34 * 1440);
        await vmStore.writeZones({ user: "me", since: slice[0]!.ts, previousTs: i ? credits[i - 1]!.ts : null, earlier: [], credits: slice }, () => []);
      }
      await vmStore.writeRecords({ user: "me", gauges, movedSeries: [], nights: [], workouts: [] });
      await vm.flush();
      const readMs: number[] = [];
      const rewriteMs: number[] = [];
      for (let i = 0; i < 5; i++) {
        let started = performance.now();
        await readLoad(vmStore, "me", from, to, settings, first);
        readMs.push(performance.now() - started);
        // a revised resting rate for yesterday: training_* rewritten from yesterday, the history read whole
        const yesterday = gauges.at(-4)!;
        await vmStore.writeRecords({ user: "me", gauges: [{ ...yesterday, value: yesterday.value + 1, revision: i + 1 }], movedSeries: [], nights: [], workouts: [] });
        started = performance.now();
        await vmStore.finishDelivery("me", first);
        rewriteMs.push(performance.now() - started);
      }
      console.log(`| /api/load's reading on VictoriaMetrics (readLoad: quarter-hour range queries) | ${median(readMs).toFixed(1)} | ${(median(readMs) / scanBase).toFixed(2)}× |`);
      console.log(`| VM: rewriting training_* after a delivery (continues the held curves: reads 60 days + the changed one to today) | ${median(rewriteMs).toFixed(1)} | ${(median(rewriteMs) / scanBase).toFixed(2)}× |`);
      await vmStore.close();
    } finally {
      await vm.stop();
    }
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
