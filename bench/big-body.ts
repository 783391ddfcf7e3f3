// Big bodies: a year of per-minute heart rate in one HAE body (≈50 MB), then three years in one body
// (≈150 MB, MAX_BODY_MB=200) posted to the server already holding the first, on both stores. Time until
// answered and until /api/summary shows it, the server's peak RSS, and each as a ratio to JSON.parse of
// the same body in this process (same run, same noise); BENCH_BEFORE adds another version's figures.
// BIG_BODY_STORES=vm (or sqlite) runs only that store's rows (BENCH_BEFORE then that store's too).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, waitFor } from "../tests/support/process";
import { startVm } from "../tests/support/vm";
import { yearOfData } from "./generate";

const TOKEN = "bench-token-0123456789";
const SECRET = "bench";
const end = Math.floor(Date.now() / 1000) - 3600;
const bodies = [
  { name: "1 year", ...yearOfData(end, 365) },
  { name: "3 years", ...yearOfData(end, 3 * 365) },
].map((b) => ({ ...b, bytes: new TextEncoder().encode(b.body) }));

/** CPU milliseconds of JSON.parse (median of 3): CPU time, unlike wall time, hardly moves with other load. */
function parseMs(body: string): number {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = process.cpuUsage();
    JSON.parse(body);
    const used = process.cpuUsage(t);
    times.push((used.user + used.system) / 1000);
  }
  return times.sort((a, b) => a - b)[1]!;
}

/** CPU milliseconds a process has used (utime + stime, clock ticks of 10 ms). */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const parse = bodies.map((b) => parseMs(b.body));
// the parsed trees are garbage: collected now, not by GC threads competing with the first server measured
Bun.gc(true);

const peakRssMb = (pid: number) => Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024);

async function run(store: string, env: Record<string, string>, command?: string[]) {
  const dataDir = mkdtempSync(join(tmpdir(), "fitstack-bench-"));
  const server = await startServer({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, MAX_BODY_MB: "200", ...env }, command);
  const rows = [];
  let total = 0;
  for (const [i, body] of bodies.entries()) {
    const started = performance.now();
    const cpuBefore = cpuMs(server.proc.pid);
    const res = await fetch(`${server.url}/hook/${SECRET}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: body.bytes,
    });
    const answer = (await res.json()) as { accepted_samples: number; zone_seconds_added: Record<string, number> };
    const answered = performance.now() - started;
    const cpu = cpuMs(server.proc.pid) - cpuBefore;
    total += Object.values(answer.zone_seconds_added).reduce((a, b) => a + b, 0);
    await waitFor(
      async () => {
        const r = await fetch(`${server.url}/api/summary?from=${end - 1200 * 86400}&to=${end + 3600}`, { headers: { authorization: `Bearer ${TOKEN}` } });
        const s = (await r.json()) as { zone_seconds: Record<string, number> };
        return Math.abs(Object.values(s.zone_seconds).reduce((a, b) => a + b, 0) - total) < 1e-6;
      },
      300_000,
      "summary to reflect the body",
    );
    const visible = performance.now() - started;
    rows.push({ store, body: body.name, mb: body.bytes.length / 1e6, status: res.status, samples: answer.accepted_samples, answered, cpu, visible, parse: parse[i]!, peak: peakRssMb(server.proc.pid) });
  }
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
  return rows;
}

const stores = (process.env.BIG_BODY_STORES ?? "sqlite,vm").split(",");
const rows = stores.includes("sqlite") ? await run("embedded sqlite", {}) : [];
// BENCH_BEFORE=<another checkout's src/main.ts>: the same bodies on that version's store, same run
const before = process.env.BENCH_BEFORE;
if (before && stores.includes("sqlite")) rows.push(...(await run(`embedded sqlite, before (${before})`, {}, ["bun", "run", before, "serve"])));
if (stores.includes("vm") && existsSync(process.env.VM_BIN ?? "/usr/bin/victoria-metrics")) {
  // a fresh VM for each version: the second must not write onto the first's series
  const versions: { name: string; command?: string[] }[] = [{ name: "VictoriaMetrics" }];
  if (before) versions.push({ name: `VictoriaMetrics, before (${before})`, command: ["bun", "run", before, "serve"] });
  for (const { name, command } of versions) {
    const vm = await startVm();
    rows.push(...(await run(name, { VM_URL: vm.url }, command)));
    await vm.stop();
  }
}
console.log(`\nBig bodies: the 3-year body goes to a server already holding the 1-year one (its first two years are new). CPU = the server's CPU time until it answered, against JSON.parse's CPU time for the same body in the bench process (median of 3): on a loaded machine CPU time is the comparable figure, wall time is not\n`);
console.log("| store | body | MB | HTTP | new samples | JSON.parse CPU (s) | server CPU until answered (s) | × parse | answered, wall (s) | visible in /api/summary, wall (s) | peak RSS so far (MB) |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(
    `| ${r.store} | ${r.body} | ${r.mb.toFixed(1)} | ${r.status} | ${r.samples} | ${(r.parse / 1000).toFixed(2)} | ${(r.cpu / 1000).toFixed(2)} | ${(r.cpu / r.parse).toFixed(1)}× | ${(r.answered / 1000).toFixed(2)} | ${(r.visible / 1000).toFixed(2)} | ${r.peak} |`,
  );
}
