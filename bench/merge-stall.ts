// Event-loop stalls while big record payloads are merged: /ping latency (one request every 20 ms, not
// waiting for the previous one) while the real server takes a 100 k-workout body, then a 3-year
// per-segment sleep backfill; baseline = /ping on the same idle server in the same run.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../tests/support/process";
import { startVm } from "../tests/support/vm";
import { haeDate } from "./generate";

const TOKEN = "bench-token-0123456789";
const SECRET = "bench";
const now = Math.floor(Date.now() / 1000);

/** 100 k workouts, one every 15 min back from now, 20 types. */
function workoutsBody(count: number): string {
  const names = Array.from({ length: 20 }, (_, i) => ["Outdoor Run", "Cycling", "Swimming", "Yoga", "Walking"][i % 5] + (i < 5 ? "" : ` ${i}`));
  const items = Array.from({ length: count }, (_, i) => {
    const s = now - 86400 - (count - i) * 900;
    return `{"id":"W-${i}","name":"${names[i % names.length]}","start":"${haeDate(s)}","end":"${haeDate(s + 600)}","duration":600,"distance":{"qty":1.2,"units":"km"},"activeEnergyBurned":{"qty":61,"units":"kcal"}}`;
  });
  return `{"data":{"metrics":[],"workouts":[${items.join(",")}]}}`;
}

/** Three years of nights as per-segment sleep_analysis points: 22:30–06:30 in 24 stages of 20 min. */
function segmentBackfillBody(nights: number): { body: string; segments: number } {
  const stages = ["Core", "Deep", "Core", "REM", "Awake", "Core"];
  const points: string[] = [];
  for (let d = nights; d > 0; d--) {
    const start = Math.floor((now - d * 86400) / 86400) * 86400 - 1.5 * 3600;
    for (let k = 0; k < 24; k++) {
      const a = start + k * 1200;
      points.push(`{"startDate":"${haeDate(a)}","endDate":"${haeDate(a + 1200)}","value":"${stages[k % stages.length]}","qty":0.33,"source":"Watch"}`);
    }
  }
  return { body: `{"data":{"metrics":[{"name":"sleep_analysis","units":"hr","data":[${points.join(",")}]}]}}`, segments: points.length };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Pings every 20 ms until `during` settles; returns the latencies (ms) sorted. */
async function pingWhile(url: string, during: Promise<unknown>): Promise<number[]> {
  const latencies: Promise<number>[] = [];
  let done = false;
  void during.finally(() => (done = true));
  while (!done) {
    const started = performance.now();
    latencies.push(fetch(`${url}/ping`).then(() => performance.now() - started));
    await Bun.sleep(20);
  }
  return (await Promise.all(latencies)).sort((a, b) => a - b);
}

async function post(url: string, body: string) {
  const started = performance.now();
  const res = await fetch(`${url}/hook/${SECRET}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body });
  const answer = (await res.json()) as { records?: { changed: number } };
  return { status: res.status, changed: answer.records?.changed ?? 0, seconds: (performance.now() - started) / 1000 };
}

async function run(store: string, env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), "fitstack-bench-"));
  const server = await startServer({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, MAX_BODY_MB: "128", ...env });
  const rows: string[] = [];
  const idle = await pingWhile(server.url, Bun.sleep(2000));
  rows.push(`| ${store} | idle (baseline) | | | | ${percentile(idle, 50).toFixed(1)} | ${percentile(idle, 99).toFixed(1)} | ${idle.at(-1)!.toFixed(1)} |`);
  for (const [what, body] of [
    ["100 k workouts", workoutsBody(100_000)],
    ["3-year segment backfill", segmentBackfillBody(3 * 365).body],
  ] as const) {
    let result: Awaited<ReturnType<typeof post>> | undefined;
    const lat = await pingWhile(server.url, post(server.url, body).then((r) => (result = r)));
    rows.push(
      `| ${store} | ${what} (${(body.length / 1e6).toFixed(1)} MB) | ${result!.status} | ${result!.changed} | ${result!.seconds.toFixed(2)} | ${percentile(lat, 50).toFixed(1)} | ${percentile(lat, 99).toFixed(1)} | ${lat.at(-1)!.toFixed(1)} |`,
    );
  }
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
  return rows;
}

const rows = await run("embedded sqlite", {});
if (existsSync(process.env.VM_BIN ?? "/usr/bin/victoria-metrics")) {
  const vm = await startVm();
  rows.push(...(await run("VictoriaMetrics", { VM_URL: vm.url })));
  await vm.stop();
}
console.log(`/ping every 20 ms during each post (the machine is shared and noisy: compare with the idle row of the same run)\n`);
console.log("| store | payload | HTTP | records changed | request (s) | /ping p50 (ms) | /ping p99 (ms) | /ping max (ms) |");
console.log("|---|---|---|---|---|---|---|---|");
for (const row of rows) console.log(row);
