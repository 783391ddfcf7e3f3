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

const VARIANTS = [...Object.keys(MODEL_PRESETS).map((m) => [m, false] as const), ["x", true] as const] as [ModelPreset, boolean][];

export async function measureModels() {
  const variants = VARIANTS.map(([model, portrait]) => {
    const format = presetFormat(model, portrait);
    const opts = { ...sampleOptions, width: format.width, height: format.height, depth: format.depth };
    return { model, portrait, format, opts, cold: [] as number[], warm: [] as number[] };
  });
  // models take turns in every round, so a busy machine slows them alike and the ratios hold
  for (let round = 0; round < COLD_RUNS; round++) {
    for (const v of variants) {
      const out = join(tmpdir(), `fitstack-cold-${v.model}-${process.pid}.png`);
      const args = ["bun", "run", MAIN, "render", "--model", v.model, ...(v.portrait ? ["--portrait"] : []), "--sample", "--out", out];
      const proc = Bun.spawnSync(args, { env: { PATH: process.env.PATH ?? "" }, stdout: "pipe" });
      v.cold.push(Number(/rendered in (\d+) ms/.exec(proc.stdout.toString())?.[1]));
      rmSync(out, { force: true });
    }
  }
  for (let round = 0; round < WARM_RUNS; round++) {
    for (const v of variants) {
      const started = performance.now();
      // a new resting rate each round: a real render, never the same SVG twice
      await renderForDevice(renderDashboard, { ...sampleDataSets.typical, restingHr: 40 + round }, v.opts, v.format);
      if (round > 0) v.warm.push(performance.now() - started);
    }
  }
  const rows = [];
  for (const v of variants) {
    const bytes = async (name: "typical" | "extreme") => (await renderForDevice(renderDashboard, sampleDataSets[name], v.opts, v.format)).length;
    rows.push({
      model: v.portrait ? `${v.model} portrait` : v.model,
      size: `${v.format.width}x${v.format.height}`,
      depth: v.format.depth,
      coldMs: median(v.cold),
      warmMs: median(v.warm),
      typicalBytes: await bytes("typical"),
      extremeBytes: await bytes("extreme"),
      limit: v.format.kind === "x" ? X_GREY_TABLE_BYTES : v.format.maxBytes,
    });
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
