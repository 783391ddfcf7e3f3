// Big first sync: a year of per-minute heart rate (+ daily resting HR, steps, sleep, ~300 workouts)
// posted to the real server, embedded store and VictoriaMetrics. Wall time until /api/summary reflects
// all of it, and the server's peak RSS (VmHWM).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, waitFor } from "../tests/support/process";
import { startVm } from "../tests/support/vm";
import { yearOfData } from "./generate";

const TOKEN = "bench-token-0123456789";
const SECRET = "bench";
const end = Math.floor(Date.now() / 1000) - 3600;
const { body, heartRatePoints } = yearOfData(end);
const bytes = new TextEncoder().encode(body);

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024);
}

async function run(name: string, env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), "fitstack-bench-"));
  const server = await startServer({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, ...env });
  const idle = peakRssMb(server.proc.pid);
  const started = performance.now();
  const res = await fetch(`${server.url}/hook/${SECRET}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: bytes,
  });
  const answer = (await res.json()) as { accepted_samples: number; zone_seconds_added: Record<string, number> };
  const answered = performance.now() - started;
  const expected = Object.values(answer.zone_seconds_added).reduce((a, b) => a + b, 0);
  await waitFor(
    async () => {
      const r = await fetch(`${server.url}/api/summary?from=${end - 400 * 86400}&to=${end + 3600}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const s = (await r.json()) as { zone_seconds: Record<string, number>; workouts: { count: number } };
      return Math.abs(Object.values(s.zone_seconds).reduce((a, b) => a + b, 0) - expected) < 1e-6 && s.workouts.count > 0;
    },
    120_000,
    "summary to reflect the big sync",
  );
  const visible = performance.now() - started;
  const row = { name, status: res.status, samples: answer.accepted_samples, answeredS: answered / 1000, visibleS: visible / 1000, idleRssMb: idle, peakRssMb: peakRssMb(server.proc.pid) };
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
  return row;
}

const rows = [await run("embedded sqlite", {})];
if (existsSync(process.env.VM_BIN ?? "/usr/bin/victoria-metrics")) {
  const vm = await startVm();
  rows.push(await run("VictoriaMetrics", { VM_URL: vm.url }));
  await vm.stop();
}
console.log(`\nBig first sync: ${(bytes.length / 1e6).toFixed(1)} MB HAE body, ${heartRatePoints} heart-rate points + 365 days of resting HR, steps, sleep, ${body.split('"id":"W-').length - 1} workouts\n`);
console.log("| store | HTTP | samples | answered (s) | visible in /api/summary (s) | idle RSS (MB) | peak RSS (MB) |");
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.name} | ${r.status} | ${r.samples} | ${r.answeredS.toFixed(2)} | ${r.visibleS.toFixed(2)} | ${r.idleRssMb} | ${r.peakRssMb} |`);
