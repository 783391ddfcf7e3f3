// Watching costs: the freshness/gap scan over a month of 5-second heart rate (what /health, /metrics and `status`
// read), against reading the same month of timeline (the floor); a /metrics render; and a small hook with and without
// the instrumentation. Medians in one process, so the ratios survive a noisy machine.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../src/app";
import { Ledger } from "../src/ledger/ledger";
import { silentLogger } from "../src/log";
import { collectServerState } from "../src/metrics/collect";
import { createMetrics } from "../src/metrics/fitstack";
import { Freshness, userFreshness } from "../src/metrics/freshness";
import { Pipeline } from "../src/pipeline";
import { RawLog } from "../src/raw/rawlog";
import { SqliteStore } from "../src/store/sqlite";

const RUNS = Number(process.env.RUNS ?? 9);
const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)]!;
function timed(runs: number, fn: () => unknown): number {
  const ms: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const start = performance.now();
    fn();
    if (i) ms.push(performance.now() - start);
  }
  return median(ms);
}
async function timedAsync(runs: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const start = performance.now();
    await fn(i);
    if (i >= 3) ms.push(performance.now() - start);
  }
  return median(ms);
}

const now = Math.floor(Date.now() / 1000);
const settings = { staleAfterS: 12 * 3600, coverageMinH: 12, timeZone: "Europe/Berlin" };
const zones = { mode: "max" as const, hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] };

// a month of heart rate every 5 s: 518,400 timeline instants
const dir = mkdtempSync(join(tmpdir(), "fitstack-bench-metrics-"));
try {
  const ledger = new Ledger(dir);
  const start = now - 30 * 86400;
  for (let day = 0; day < 30; day++) {
    const samples = Array.from({ length: 17280 }, (_, i) => ({ ts: start + day * 86400 + 5 * i, bpm: 60 + (i % 90), source: "w", device: "d" }));
    ledger.ingest("me", samples, [120, 140, 160, 180]);
  }
  ledger.setMeta("last_sync:me", String(now - 60));
  // the floor: reading that month of timeline through the ledger's interface and counting it
  const readMonth = () => {
    let n = 0;
    for (const slice of ledger.zoneRewrites("me", now - 32 * 86400, 50_000)) n += slice.credits.length;
    return n;
  };
  const rows = readMonth();
  const floor = timed(RUNS, readMonth);
  const scan = timed(RUNS, () => userFreshness(ledger, "me", now, settings));

  // /metrics as VM scrapes it: collectors (the gap scan cached for a minute) and the text
  const metrics = createMetrics("bench");
  const freshness = new Freshness(ledger, ["me"], settings, () => new Date());
  collectServerState(metrics, { ledger, rawDir: join(dir, "raw"), storeKind: "sqlite", freshness, clock: () => new Date() });
  await metrics.registry.render(); // fills the cache, as the scrape before did
  const text = await metrics.registry.render();
  const render = await timedAsync(RUNS * 3, () => metrics.registry.render());

  // a small sync (60 points) through app.handle, with and without metrics, alternating so both see the same noise
  const hookDirs: string[] = [];
  function hookApp(withMetrics: boolean) {
    const hookDir = mkdtempSync(join(tmpdir(), "fitstack-bench-hook-"));
    hookDirs.push(hookDir);
    const store = new SqliteStore(hookDir);
    const m = withMetrics ? createMetrics("bench") : undefined;
    const pipeline = new Pipeline({ ledger: new Ledger(hookDir), store, rawLog: new RawLog(hookDir), profileFor: () => zones, clock: () => new Date(), log: silentLogger, metrics: m });
    const app = createApp({ config: { access: [{ token: "bench-token-0123456789", user: "me", zones }], secretPath: "s", maxBodyBytes: 1 << 20 }, pipeline, store, clock: () => new Date(), log: silentLogger, metrics: m });
    return (i: number) => {
      const samples = Array.from({ length: 60 }, (_, k) => ({ ts: now - 86400 + i * 300 + 5 * k, bpm: 70 + k }));
      const body = JSON.stringify({ type: "heart_rate", source: "w", samples });
      return app.handle(new Request("http://localhost/hook/s", { method: "POST", headers: { authorization: "Bearer bench-token-0123456789" }, body }));
    };
  }
  const hooks = [hookApp(false), hookApp(true)];
  const hookMs: [number[], number[]] = [[], []];
  for (let i = 0; i < RUNS * 6 + 4; i++) {
    for (const which of [0, 1] as const) {
      const started = performance.now();
      await hooks[which]!(i);
      if (i >= 4) hookMs[which].push(performance.now() - started);
    }
  }
  const [bare, counted] = hookMs.map(median) as [number, number];
  for (const hookDir of hookDirs) rmSync(hookDir, { recursive: true, force: true });

  console.log("| what | median | vs baseline |");
  console.log("|---|---|---|");
  console.log(`| reading a month of 5-s heart rate from the ledger (${rows.toLocaleString("en")} instants; baseline) | ${floor.toFixed(1)} ms | 1× |`);
  console.log(`| freshness + gap scan of that month (one user) | ${scan.toFixed(1)} ms | ${(scan / floor).toFixed(1)}× |`);
  console.log(`| GET /metrics body (${text.length.toLocaleString("en")} bytes), gap scan cached | ${render.toFixed(2)} ms | – |`);
  console.log(`| small sync (60 points, fsync on) without metrics (baseline) | ${bare.toFixed(2)} ms | 1× |`);
  console.log(`| small sync (60 points, fsync on) counted | ${counted.toFixed(2)} ms | ${(counted / bare).toFixed(2)}× |`);
  ledger.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
