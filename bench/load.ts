// Load bench: the real server (embedded store, and VictoriaMetrics when installed) on loopback, realistic
// 5-minute Health Auto Export payloads at rising concurrency, fsync on (it always is). Ends by checking that
// no sample was lost: the store's zone totals equal the transform of everything acknowledged.
//   bun run bench/load.ts                      # 10 s per step
//   BENCH_SECONDS=3 BENCH_STORES=sqlite BENCH_CONCURRENCY=1,1,1 bun run bench/load.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type ServerProcess } from "../tests/support/process";
import { startVm, type VmProcess } from "../tests/support/vm";
import { existsSync } from "node:fs";

const TOKEN = "bench-token-0123456789abcdef";
const SECRET = "bench-secret";
const USER = "bench";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? "1,4,16,64").split(",").map(Number);
const STORES = (process.env.BENCH_STORES ?? "sqlite,vm").split(",");
const POINTS = 60; // one 5-minute window, a point every 5 s
const WINDOW_S = POINTS * 5;
const BOUNDS = [120, 140, 160, 180]; // HR_MAX=200: z2..z5 lower bounds, lower-inclusive
// two years back, aligned to a window: far from "now" for VM, inside its 5-year retention
const BASE = Math.floor((Date.now() / 1000 - 2 * 365 * 86_400) / WINDOW_S) * WINDOW_S;

const bpmAt = (ts: number) => 95 + (((ts - BASE) / 5) % 97); // 95..191: every zone, integer
const pad = (n: number) => String(n).padStart(2, "0");
/** HAE's "yyyy-MM-dd HH:mm:ss +0200" for a unix second. */
function haeDate(ts: number): string {
  const d = new Date((ts + 7200) * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0200`;
}

function windowPayload(w: number): string {
  const start = BASE + w * WINDOW_S;
  const data = Array.from({ length: POINTS }, (_, i) => {
    const ts = start + 5 * i;
    const avg = bpmAt(ts);
    return { date: haeDate(ts), Min: avg - 2, Avg: avg, Max: avg + 3, source: "Apple Watch" };
  });
  return JSON.stringify({ data: { metrics: [{ name: "heart_rate", units: "count/min", data }] } });
}

/** The seed's transform over the union of acknowledged windows, written independently of src/. */
function expectedZones(windows: number[]): number[] {
  const ts = windows.flatMap((w) => Array.from({ length: POINTS }, (_, i) => BASE + w * WINDOW_S + 5 * i)).sort((a, b) => a - b);
  const zones = [0, 0, 0, 0, 0];
  for (let i = 1; i < ts.length; i++) {
    const bpm = bpmAt(ts[i]!);
    zones[BOUNDS.filter((b) => bpm >= b).length]! += Math.min(ts[i]! - ts[i - 1]!, 10);
  }
  return zones;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

interface Step {
  store: string;
  inFlight: number;
  requests: number;
  errors: number;
  reqPerS: number;
  samplesPerS: number;
  p50: number;
  p99: number;
}

async function runStore(store: string, env: Record<string, string>, vm?: VmProcess): Promise<{ steps: Step[]; check: string; ok: boolean }> {
  const dataDir = mkdtempSync(join(tmpdir(), "fitstack-bench-"));
  const server: ServerProcess = await startServer({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, USER_LABEL: USER, ...env });
  let next = 0;
  const acknowledged: number[] = [];
  let acceptedSamples = 0;
  const steps: Step[] = [];
  try {
    const post = async (w: number) => {
      const res = await fetch(`${server.url}/hook/${SECRET}`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: windowPayload(w),
      });
      const body = (await res.json()) as { accepted_samples?: number };
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${JSON.stringify(body).slice(0, 200)}`);
      acknowledged.push(w);
      acceptedSamples += body.accepted_samples ?? 0;
    };
    for (let i = 0; i < 20; i++) await post(next++); // warm-up, counted in the loss check only
    for (const inFlight of CONCURRENCY) {
      const latencies: number[] = [];
      let errors = 0;
      const started = performance.now();
      const deadline = started + SECONDS * 1000;
      const worker = async () => {
        while (performance.now() < deadline) {
          const w = next++;
          const t = performance.now();
          try {
            await post(w);
            latencies.push(performance.now() - t);
          } catch (err) {
            errors++;
            if (errors <= 3) console.error(`  ${store} ×${inFlight}: ${(err as Error).message}`);
          }
        }
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
      const elapsed = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      steps.push({
        store,
        inFlight,
        requests: latencies.length,
        errors,
        reqPerS: latencies.length / elapsed,
        samplesPerS: (latencies.length * POINTS) / elapsed,
        p50: quantile(latencies, 0.5),
        p99: quantile(latencies, 0.99),
      });
      console.error(`  ${store} ×${inFlight}: ${latencies.length} requests in ${elapsed.toFixed(1)} s`);
    }

    // no sample lost: the store's totals over everything == the transform of every acknowledged window
    const posted = acknowledged.length * POINTS;
    const from = BASE - 60;
    const to = BASE + next * WINDOW_S;
    await vm?.flush();
    const res = await fetch(`${server.url}/api/summary?from=${from}&to=${to}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const summary = (await res.json()) as { zone_seconds: Record<string, number> };
    const got = ["z1", "z2", "z3", "z4", "z5"].map((z) => summary.zone_seconds[z]);
    const want = expectedZones(acknowledged);
    let ok = JSON.stringify(got) === JSON.stringify(want) && acceptedSamples === posted;
    let check = `${store}: ${acknowledged.length} payloads acknowledged, ${posted} distinct samples posted, ${acceptedSamples} accepted; ` +
      `zone seconds expected ${JSON.stringify(want)}, store ${JSON.stringify(got)}`;
    if (vm) {
      const params = new URLSearchParams({ query: `count_over_time(heart_rate_bpm{user="${USER}"}[${to - from}s])`, time: String(to), nocache: "1" });
      const [points] = ((await (await fetch(`${vm.url}/api/v1/query?${params}`)).json()) as any).data.result;
      const count = Number(points?.value[1] ?? 0);
      ok &&= count === posted;
      check += `; VM heart_rate_bpm points ${count}`;
    }
    return { steps, check: `${ok ? "OK" : "LOST"} ${check}`, ok };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const results: { steps: Step[]; check: string; ok: boolean }[] = [];
if (STORES.includes("sqlite")) results.push(await runStore("sqlite", {}));
if (STORES.includes("vm")) {
  if (!existsSync(process.env.VM_BIN ?? "/usr/bin/victoria-metrics")) console.error("victoria-metrics not installed: VM step skipped");
  else {
    const vm = await startVm();
    try {
      results.push(await runStore("victoriametrics", { VM_URL: vm.url }, vm));
    } finally {
      await vm.stop();
    }
  }
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
console.log(`\nfitstack load bench: ${POINTS}-point HAE heart_rate payloads (5 min each, every sample new), fsync on, ${SECONDS} s per step\n`);
console.log("| store | in flight | requests | errors | req/s | samples/s | p50 ms | p99 ms |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const s of results.flatMap((r) => r.steps)) {
  console.log(`| ${s.store} | ${s.inFlight} | ${s.requests} | ${s.errors} | ${fmt(s.reqPerS)} | ${fmt(s.samplesPerS)} | ${fmt(s.p50, 1)} | ${fmt(s.p99, 1)} |`);
}
console.log("");
for (const r of results) console.log(r.check);
process.exit(results.every((r) => r.ok) ? 0 : 1);
