// TRMNL render: cold (a fresh process's first render) and warm render latency, and the cost of a device
// poll when nothing changed (served from the render cache), through the real app on the embedded store.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../src/app";
import { loadConfig } from "../src/config";
import { Ledger } from "../src/ledger/ledger";
import { silentLogger } from "../src/log";
import { Pipeline } from "../src/pipeline";
import { RawLog } from "../src/raw/rawlog";
import { renderDashboard } from "../src/render/dashboard";
import { sampleOptions, typicalData } from "../src/render/sample-data";
import { SqliteStore } from "../src/store/sqlite";
import { createTrmnl } from "../src/trmnl/index";
import { smallSync } from "./generate";

const MAIN = join(import.meta.dir, "../src/main.ts");
const MAC = "AA:BB:CC:DD:EE:FF";
const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function measureRender() {
  const cold: number[] = [];
  for (let i = 0; i < 5; i++) {
    const out = join(tmpdir(), `fitstack-cold-${process.pid}.png`);
    const proc = Bun.spawnSync(["bun", "run", MAIN, "render", "--sample", "typical", "--out", out], { env: { PATH: process.env.PATH ?? "" }, stdout: "pipe" });
    cold.push(Number(/rendered in (\d+) ms/.exec(proc.stdout.toString())?.[1]));
    rmSync(out, { force: true });
  }
  const warm: number[] = [];
  for (let i = 0; i < 21; i++) {
    const started = performance.now();
    await renderDashboard({ ...typicalData, restingHr: 40 + i }, sampleOptions);
    if (i > 0) warm.push(performance.now() - started);
  }

  const dataDir = mkdtempSync(join(tmpdir(), "fitstack-renderbench-"));
  const config = loadConfig({ AUTH_TOKEN: "bench-token-0123456789", SECRET_PATH: "b", DATA_DIR: dataDir, TRMNL_DEVICES: MAC });
  let now = new Date();
  const clock = () => now;
  const ledger = new Ledger(dataDir);
  const store = new SqliteStore(dataDir);
  const pipeline = new Pipeline({ ledger, store, rawLog: new RawLog(dataDir), profileFor: () => config.zones, clock, log: silentLogger });
  const trmnl = createTrmnl(config, { store, pipeline, clock, log: silentLogger });
  const app = createApp({ config, pipeline, store, clock, log: silentLogger, trmnl });
  const start = Math.floor(now.getTime() / 1000) - 6 * 3600;
  for (let i = 0; i < 72; i++) {
    const body = smallSync(start + i * 300);
    await app.handle(new Request("http://fitstack/hook/b", { method: "POST", headers: { authorization: "Bearer bench-token-0123456789" }, body }));
  }
  const { api_key } = (await (await app.handle(new Request("http://fitstack/api/setup", { headers: { ID: MAC } }))).json()) as { api_key: string };
  const poll = () => app.handle(new Request("http://fitstack/api/display", { headers: { ID: MAC, "Access-Token": api_key } })).then((r) => r.arrayBuffer());
  const firstStarted = performance.now();
  await poll();
  const first = performance.now() - firstStarted;
  const unchanged: number[] = [];
  const base = now.getTime();
  for (let i = 0; i < 50; i++) {
    now = new Date(base + i * 1000);
    const started = performance.now();
    await poll();
    unchanged.push(performance.now() - started);
  }
  const reread: number[] = [];
  for (let i = 0; i < 20; i++) {
    now = new Date(base + 61_000 * (i + 1)); // past the 60 s data memo: the store is read, the render cache hits
    const started = performance.now();
    await poll();
    reread.push(performance.now() - started);
  }
  rmSync(dataDir, { recursive: true, force: true });
  return { coldMs: median(cold), warmMs: median(warm), firstPollMs: first, unchangedPollMs: median(unchanged), unchangedPollStoreReadMs: median(reread) };
}

if (import.meta.main) {
  const r = await measureRender();
  console.log("| cold render (ms, fresh process, median of 5) | warm render (ms, median of 20) | first poll after new data (ms) | unchanged poll (ms, median of 50) | unchanged poll after the 60 s memo (ms, median of 20) |");
  console.log("|---|---|---|---|---|");
  console.log(`| ${Math.round(r.coldMs)} | ${r.warmMs.toFixed(1)} | ${r.firstPollMs.toFixed(1)} | ${r.unchangedPollMs.toFixed(2)} | ${r.unchangedPollStoreReadMs.toFixed(2)} |`);
}
