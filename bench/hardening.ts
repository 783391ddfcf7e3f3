// Hardening costs and gains: the nesting check against JSON.parse of the same body (the check runs on every post),
// and a summary over from=0 on VictoriaMetrics, asked over the data's extent as the server does, against asking
// VM over the whole range (the baseline, through the same VmStore in the same run).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkNesting } from "../src/body";
import { VmStore } from "../src/store/vm";
import { startServer } from "../tests/support/process";
import { startVm } from "../tests/support/vm";
import { yearOfData } from "./generate";

const RUNS = Number(process.env.RUNS ?? 9);

function median(values: number[]) {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed(fn: () => unknown | Promise<unknown>, runs = RUNS): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    Bun.gc(true);
    const start = performance.now();
    await fn();
    if (i > 0) times.push(performance.now() - start);
  }
  return median(times);
}

const end = Math.floor(Date.now() / 1000) - 3600;
console.log(`| what | baseline | with the check / clamp | ratio |`);
console.log(`|---|---|---|---|`);
for (const days of [30, 365]) {
  const { body, heartRatePoints } = yearOfData(end, days);
  const parse = await timed(() => JSON.parse(body));
  const parsed = JSON.parse(body);
  const nesting = await timed(() => checkNesting(parsed));
  console.log(`| nesting check, ${days} days (${heartRatePoints} HR points, ${(body.length / 1e6).toFixed(1)} MB) | JSON.parse ${parse.toFixed(1)} ms | +${nesting.toFixed(1)} ms | ${(nesting / parse).toFixed(3)}× parse |`);
}

const vm = await startVm();
const dataDir = mkdtempSync(join(tmpdir(), "fitstack-bench-hardening-"));
const server = await startServer({ AUTH_TOKEN: "bench-token-0123456789", SECRET_PATH: "bench", DATA_DIR: dataDir, VM_URL: vm.url });
try {
  const days = 90;
  const { body } = yearOfData(end, days);
  const res = await fetch(`${server.url}/hook/bench`, { method: "POST", headers: { authorization: "Bearer bench-token-0123456789" }, body });
  if (res.status !== 200) throw new Error(`hook answered ${res.status}`);
  await vm.flush();
  const store = new VmStore({ writeUrl: vm.url, readUrl: vm.url, stateDir: ":memory:" });
  const first = Math.floor((end - days * 86400) / 86400) * 86400;
  const to = 99_999_999_999;
  const whole = await timed(() => store.summary("me", 0, to));
  const clamped = await timed(() => store.summary("me", first - 3600, to));
  const http = await timed(() => fetch(`${server.url}/api/summary?from=0&to=${to}`, { headers: { authorization: "Bearer bench-token-0123456789" } }).then((r) => r.json()));
  console.log(`| VM summary from=0, ${days} days of per-minute data | 2000 → now: ${whole.toFixed(1)} ms | data's extent: ${clamped.toFixed(1)} ms (over HTTP: ${http.toFixed(1)} ms) | ${(clamped / whole).toFixed(2)}× |`);
  await store.close();
} finally {
  await server.stop();
  await vm.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
