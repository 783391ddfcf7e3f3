// The one crediting rule's cost: transformBatch (the reference the contract and the transform bench use) and
// summarize's per-file crediting (HeartRateSeries.facts), this tree against a checkout of main (MAIN_TREE, default
// ../main) in the same run. CPU time (the machine is shared), median of 9 runs, 1 M readings; zone seconds must agree.
import { existsSync } from "node:fs";
import { join } from "node:path";

const trees = [["this branch", join(import.meta.dir, "..")]];
const main = process.env.MAIN_TREE ?? join(import.meta.dir, "../../main");
if (existsSync(join(main, "src/transform/zones.ts"))) trees.push(["main", main]);

const N = 1_000_000;
const RUNS = 9;
const profile = { mode: "max" as const, hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] };
const now = Math.floor(Date.now() / 1000);
const start = now - N * 5;
// a reading every 5 s; in the unsorted set every 10th is re-sent 5 s early (a same-instant reading of one origin)
const sorted = Array.from({ length: N }, (_, i) => ({ ts: start + 5 * i, bpm: 60 + (i % 120), source: "watch", device: "" }));
const unsorted = sorted.map((s, i) => (i % 10 === 0 ? { ...s, ts: s.ts - 5 } : s));
const [watch, band] = [{ source: "Watch", device: "" }, { source: "Band", device: "" }];

function cpuMs(run: () => unknown): { ms: number; result: unknown } {
  const times: number[] = [];
  let result: unknown;
  for (let i = 0; i < RUNS; i++) {
    Bun.gc(true);
    const before = process.cpuUsage();
    result = run();
    const used = process.cpuUsage(before);
    times.push((used.user + used.system) / 1000);
  }
  return { ms: times.sort((a, b) => a - b)[RUNS >> 1]!, result };
}

const rows: string[] = [];
const answers = new Map<string, string>();
for (const [name, tree] of trees) {
  const { transformBatch } = (await import(join(tree!, "src/transform/zones.ts"))) as typeof import("../src/transform/zones");
  const { HeartRateSeries } = (await import(join(tree!, "src/summarize/heartRate.ts"))) as typeof import("../src/summarize/heartRate");
  const series = new HeartRateSeries();
  for (let i = 0; i < N; i++) series.push(start + 5 * i - (i % 50 === 0 ? 5 : 0), 60 + (i % 120), i % 7 === 0 ? band : watch);
  for (const [what, run] of [
    ["transformBatch, in time order", () => transformBatch(sorted.slice(), profile, now).zoneSeconds],
    ["transformBatch, every 10th re-sent", () => transformBatch(unsorted.slice(), profile, now).zoneSeconds],
    ["summarize's facts, two sources", () => series.facts(profile, now).zoneSeconds],
  ] as const) {
    const { ms, result } = cpuMs(run);
    const answer = JSON.stringify(result);
    // main kept the lower bpm of one origin's readings at an instant; now the later one counts: those may differ
    if (!what.includes("re-sent") && answers.has(what) && answers.get(what) !== answer) throw new Error(`${what}: ${name} credits ${answer}, the other tree ${answers.get(what)}`);
    answers.set(what, answer);
    rows.push(`| ${name} | ${what} | ${ms.toFixed(0)} |`);
  }
}
console.log(`CPU ms, median of ${RUNS} runs over ${N.toLocaleString("en")} readings; both trees credit the same zone seconds (but for the re-sent readings, where main kept the lower bpm and now the later counts).\n`);
console.log("| tree | what | CPU (ms) |\n|---|---|---|\n" + rows.join("\n"));
