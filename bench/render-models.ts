// TRMNL render per model: cold (a fresh process's first render) and warm render time, and the bytes each model's
// PNG takes, for the typical and the extreme sample. Ratios are against the OG's 1-bit render measured in this run.
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderDashboard } from "../src/render/dashboard";
import { sampleDataSets, sampleOptions } from "../src/render/sample-data";
import { renderForDevice } from "../src/trmnl/dashboards";
import { MODEL_PRESETS, presetFormat, X_GREY_TABLE_BYTES, type ModelPreset } from "../src/trmnl/deviceFormat";

const MAIN = join(import.meta.dir, "../src/main.ts");
const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const COLD_RUNS = 3;
const WARM_RUNS = 11;

export async function measureModels() {
  const rows = [];
  for (const [model, portrait] of [...Object.keys(MODEL_PRESETS).map((m) => [m, false] as const), ["x", true] as const]) {
    const format = presetFormat(model as ModelPreset, portrait);
    const cold: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      const out = join(tmpdir(), `fitstack-cold-${model}-${process.pid}.png`);
      const args = ["bun", "run", MAIN, "render", "--model", model, ...(portrait ? ["--portrait"] : []), "--sample", "--out", out];
      const proc = Bun.spawnSync(args, { env: { PATH: process.env.PATH ?? "" }, stdout: "pipe" });
      cold.push(Number(/rendered in (\d+) ms/.exec(proc.stdout.toString())?.[1]));
      rmSync(out, { force: true });
    }
    const opts = { ...sampleOptions, width: format.width, height: format.height, depth: format.depth };
    const warm: number[] = [];
    for (let i = 0; i < WARM_RUNS; i++) {
      const started = performance.now();
      // a new resting rate each time: a real render, never the same SVG twice
      await renderForDevice(renderDashboard, { ...sampleDataSets.typical, restingHr: 40 + i }, opts, format);
      if (i > 0) warm.push(performance.now() - started);
    }
    const bytes = async (name: "typical" | "extreme") => (await renderForDevice(renderDashboard, sampleDataSets[name], opts, format)).length;
    rows.push({ model: portrait ? `${model} portrait` : model, size: `${format.width}x${format.height}`, depth: format.depth, coldMs: median(cold), warmMs: median(warm), typicalBytes: await bytes("typical"), extremeBytes: await bytes("extreme"), limit: format.kind === "x" ? X_GREY_TABLE_BYTES : format.maxBytes });
  }
  return rows;
}

if (import.meta.main) {
  const rows = await measureModels();
  const og = rows.find((r) => r.model === "og")!;
  console.log("| model | PNG | cold render (ms, fresh process, median of 3) | warm render (ms, median of 10) | warm vs og 1-bit | bytes, typical | bytes, extreme | limit (B) |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(`| ${r.model} | ${r.size} ${r.depth}-bit | ${Math.round(r.coldMs)} | ${r.warmMs.toFixed(0)} | ${(r.warmMs / og.warmMs).toFixed(1)}× | ${r.typicalBytes} | ${r.extremeBytes} | ${r.limit} |`);
  }
}
