// Transform throughput: HR samples/s through normalize + transform, against JSON.parse alone on the
// same payload (the floor). Medians of several runs in one process, so the ratio survives a noisy machine.
import { normalizePayload } from "../src/normalize/index";
import { transformBatch } from "../src/transform/zones";
import { yearOfData } from "./generate";

const profile = { mode: "max" as const, hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] };
const RUNS = Number(process.env.RUNS ?? 9);
const WARMUP = 2;

function median(values: number[]) {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(fn: () => void) {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

export function measureTransform(days = 30) {
  const now = Math.floor(Date.now() / 1000);
  const { body, heartRatePoints } = yearOfData(now - 3600, days);
  const parse: number[] = [];
  const normalize: number[] = [];
  const transform: number[] = [];
  for (let i = 0; i < RUNS + WARMUP; i++) {
    // each stage starts without the previous stage's garbage to collect, so none pays for another's
    Bun.gc(true);
    let parsed: unknown;
    const p = time(() => (parsed = JSON.parse(body)));
    Bun.gc(true);
    let normalized: ReturnType<typeof normalizePayload>;
    const n = time(() => (normalized = normalizePayload(parsed)));
    Bun.gc(true);
    const t = time(() => transformBatch(normalized.heartRate, profile, now));
    if (i < WARMUP) continue;
    parse.push(p);
    normalize.push(n);
    transform.push(t);
  }
  const added = median(normalize) + median(transform);
  return {
    mb: body.length / 1e6,
    samples: heartRatePoints,
    parseMs: median(parse),
    normalizeMs: median(normalize),
    transformMs: median(transform),
    samplesPerS: heartRatePoints / (added / 1000),
    ratio: added / median(parse),
  };
}

if (import.meta.main) {
  const sizes = process.env.DAYS ? [Number(process.env.DAYS)] : [30, 365];
  console.log(`| payload | HR samples | JSON.parse (ms) | normalize (ms) | transform (ms) | samples/s (normalize+transform) | added / parse |`);
  console.log(`|---|---|---|---|---|---|---|`);
  for (const days of sizes) {
    const r = measureTransform(days);
    console.log(
      `| ${days} days, ${r.mb.toFixed(1)} MB | ${r.samples} | ${r.parseMs.toFixed(1)} | ${r.normalizeMs.toFixed(1)} | ${r.transformMs.toFixed(1)} | ${Math.round(r.samplesPerS).toLocaleString("en")} | ${r.ratio.toFixed(2)}× |`,
    );
  }
}
