// `bun run bench`: every benchmark in one run, tables printed and written to bench/results.md.
// Each bench compares against a baseline measured in the same run, so ratios survive a noisy machine.
import { join } from "node:path";

const BENCHES: { title: string; script: string; note: string }[] = [
  { title: "Transform throughput", script: "transform.ts", note: "normalize + transform vs JSON.parse alone on the same HAE payload (target: adds < 1× parse time)." },
  { title: "Big first sync", script: "big-sync.ts", note: "a year of per-minute heart rate posted to the real server (targets: < 10 s, peak RSS < 400 MB)." },
  { title: "Big bodies", script: "big-body.ts", note: "a year (≈50 MB) then three years (≈150 MB) of per-minute heart rate in one HAE body, both stores; time and peak RSS against JSON.parse of the same body (targets: 1 year < 2 s embedded, < 3 s VM; peak RSS < 200 MB); BIG_BODY_STORES=vm runs one store, BENCH_BEFORE=<another checkout's src/main.ts> adds that version." },
  { title: "Reading a big body", script: "parse-body.ts", note: "`normalizedPieces` over a spooled 1-year HAE body (≈50 MB, 525,600 heart-rate points) as the server reads it, CPU time per fresh process against JSON.parse of the same body's text; BENCH_BEFORE=<another checkout's src/normalize/stream.ts> adds that version in the same run, and the body posted to a fresh server (embedded store) of each version, interleaved (target: 1 year < 2 s embedded)." },
  { title: "A decade of samples", script: "scale.ts", note: "1 M and 10 M heart-rate samples: replay, bytes per sample (against the per-sample-row layout), 60-point sync and /api/summary latency against a server holding nothing and one on tmpfs, the same on VictoriaMetrics (targets: replay of 10 M < 60 s, ≤ 24 B/sample, sync p50 < 3 ms / p99 < 15 ms, week < 20 ms, year < 200 ms)." },
  { title: "Randomized check at 10 M", script: "scale-check.ts", note: "issue #16's randomized late/overlap/revision check: ≈10 M distinct heart-rate samples from several sources over four years, a raw log with late days, overlapping windows, repeats and revisions rebuilt by `replay`, a tail of the same kinds over HTTP; ~50 ranges (inside a day, local days and weeks over DST in Europe/Berlin, spanning years), local days via /api/load and VM's raw counters against one transform over the union, both stores (target: all equal; `SCALE_CHECK_SAMPLES` runs it small)." },
  { title: "Small syncs under load", script: "load.ts", note: "5-minute HAE payloads (60 heart-rate points) at rising concurrency, fsync on; ends with a no-sample-lost check." },
  { title: "TRMNL render", script: "render.ts", note: "cold/warm render, and a device poll when nothing changed (target: warm < 200 ms, unchanged poll < 5 ms)." },
  { title: "TRMNL render per model", script: "render-models.ts", note: "each model's PNG from the typical sample: cold/warm render and bytes (limits: 89,999 B on 800x480 boards, 102,400 B for the X's fast grey table, 512,000 B Kindle); ratios against the OG 1-bit render in the same run." },
  { title: "Against a headless browser", script: "browser.ts", note: "the same dashboard screenshotted by headless Chromium, the usual BYOS approach (skipped when chromium is not installed)." },
  { title: "Summarize", script: "summarize.ts", note: "a generated ~150 MB HAE export, streamed by the hook's reader, against JSON.parse of the whole file (medians of 3); BENCH_BEFORE=<another checkout> adds that version in the same run." },
  { title: "Training load", script: "training-load.ts", note: "GET /api/load for a year on the embedded store with a year of per-minute heart rate (target: < 100 ms)." },
  { title: "Import the Health app's export", script: "import.ts", note: "`fitstack import` of generated export.zip files with unique heart-rate records, 1 M and 5 M, into both stores, and into VM holding 90 days of webhook data; the parser alone against saxes (targets: 1 M < 9 s, 5 M < 50 s, peak RSS < 150 MB); IMPORT_BENCH_SIZES/STORES/HELD/RUNS/BEFORE run a part of it (see its header)." },
  { title: "VictoriaMetrics delivery and late data", script: "vm-late.ts", note: "in-process first delivery of 10^6 held samples into a fresh VM, then one late sample at noon of a held day and one before all held data: VM rows, wall, our CPU, VM's CPU; run it in another checkout to compare (target: a late sample costs O(its day) rows)." },
  { title: "Hardening", script: "hardening.ts", note: "the nesting check against JSON.parse of the same body; a VM summary over from=0 asked over the data's extent against the whole range (same VmStore, same run)." },
  { title: "Watching it", script: "metrics.ts", note: "the freshness/gap scan /health, /metrics and `status` run, a /metrics render, a small sync with and without instrumentation (target: scan < 250 ms per user per minute, instrumentation within noise)." },
  { title: "Binaries", script: "binary.ts", note: "`bun run build` output; ARM64 runs under qemu (emulated: its times and RSS include qemu)." },
  { title: "Record merges scale linearly", script: "merge-scaling.ts", note: "workouts and one-segment nights merged into an empty ledger, this tree against main's in the same run." },
  { title: "One crediting rule", script: "crediting.ts", note: "transformBatch and summarize's crediting, this tree against main's in the same run, CPU time over 1 M readings (target: no slower than main)." },
  { title: "Replay of big raw entries", script: "replay-memory.ts", note: "`replay` of one 64 MiB raw entry (tiny fixture samples, then per-minute HAE points), peak RSS and time; BENCH_BEFORE=<another checkout's src/main.ts> adds that version in the same run (target: bounded whatever the entry's size)." },
  { title: "Event loop during big record payloads", script: "merge-stall.ts", note: "/ping latency while the real server takes 100 k workouts, then a 3-year per-segment sleep backfill (target: p99 < 200 ms)." },
];

const started = new Date();
let out = `# Benchmark results\n\nMeasured ${started.toISOString()} by \`bun run bench\` on ${navigator.hardwareConcurrency} cores (${process.arch}), Bun ${Bun.version}.\n`;
for (const bench of BENCHES) {
  process.stderr.write(`== ${bench.title} (bench/${bench.script})\n`);
  const proc = Bun.spawnSync(["bun", "run", join(import.meta.dir, bench.script)], { stdout: "pipe", stderr: "inherit", env: process.env });
  const text = proc.stdout.toString().trim();
  process.stdout.write(`\n## ${bench.title}\n\n${text}\n`);
  out += `\n## ${bench.title}\n\n${bench.note}\n\n${proc.exitCode === 0 ? text : `failed (exit ${proc.exitCode}):\n\n${text}`}\n`;
}
out += `\n${await Bun.file(join(import.meta.dir, "profile-notes.md")).text()}`;
await Bun.write(join(import.meta.dir, "results.md"), out);
process.stderr.write(`wrote bench/results.md\n`);
