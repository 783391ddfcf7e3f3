// Record merges, this tree against a checkout of main (MAIN_TREE, default ../main) in the same run: 10 k and 20 k
// workouts, 2 k and 4 k one-segment nights, each merged into an empty in-memory ledger (merge only, no store).
// Linear merges double their time when the payload doubles; quadratic ones quadruple it.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { SleepNight, Workout } from "../src/normalize/model";

const trees = [["this branch", join(import.meta.dir, "..")]];
const main = process.env.MAIN_TREE ?? join(import.meta.dir, "../../main");
if (existsSync(join(main, "src/ledger/ledger.ts"))) trees.push(["main", main]);

const workouts = (n: number): Workout[] =>
  Array.from({ length: n }, (_, i) => ({ id: `W-${i}`, name: ["Running", "Cycling", "Yoga"][i % 3]!, start: 1.7e9 + i * 900, end: 1.7e9 + i * 900 + 600, durationS: 600 }));
const nights = (n: number): SleepNight[] =>
  Array.from({ length: n }, (_, i) => {
    const start = 1.7e9 + i * 86400;
    return { source: "Watch", start, end: start + 3600, stageSeconds: { core: 3600 }, segments: [{ start, end: start + 3600, stage: "core" }] };
  });

const rows: string[] = [];
for (const [name, tree] of trees) {
  const { Ledger } = (await import(join(tree!, "src/ledger/ledger.ts"))) as typeof import("../src/ledger/ledger");
  for (const [what, payload] of [
    ["10 k workouts", { gauges: [], sleep: [], workouts: workouts(10_000) }],
    ["20 k workouts", { gauges: [], sleep: [], workouts: workouts(20_000) }],
    ["2 k one-segment nights", { gauges: [], sleep: nights(2_000), workouts: [] }],
    ["4 k one-segment nights", { gauges: [], sleep: nights(4_000), workouts: [] }],
  ] as const) {
    const times: number[] = [];
    for (let run = 0; run < 3; run++) {
      const ledger = new Ledger(":memory:");
      const started = performance.now();
      ledger.ingest("me", [], [], undefined, payload);
      times.push(performance.now() - started);
      ledger.close();
    }
    rows.push(`| ${name} | ${what} | ${times.sort((a, b) => a - b)[1]!.toFixed(0)} |`);
  }
}
console.log("Median of 3 runs, one transaction each (the server merges 500 records per transaction between turns of the event loop).\n");
console.log("| tree | payload | merge (ms) |");
console.log("|---|---|---|");
for (const row of rows) console.log(row);
