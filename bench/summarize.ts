#!/usr/bin/env bun
// `bun run bench/summarize.ts [MB]`: writes a ~150 MB HAE export (per-second heart rate, app-style
// formatting) to /tmp, summarizes it in a child process and prints wall time, MB/s and peak RSS (medians of
// three runs), next to the naive way (JSON.parse of the whole file + normalizePayload) for comparison.
// BENCH_BEFORE=<another checkout> adds that checkout's summarize in the same run (its bench/summarize.ts child).
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { normalizePayload } from "../src/normalize";
import { parseCommand } from "../src/cli/args";
import { command, run } from "../src/cli/summarize";
import { silentLogger } from "../src/log";
import { haeDate, seeded } from "../src/summarize/sampleData";

const ROOT = join(import.meta.dir, "..");

/** Streams the export to disk, so generating it needs no memory either. */
async function writeExport(path: string, megabytes: number): Promise<void> {
  const writer = Bun.file(path).writer();
  const random = seeded(42);
  const source = "Ana’s Apple\u00a0Watch";
  writer.write('{\n  "data" : {\n    "metrics" : [\n      {\n        "name" : "heart_rate",\n        "units" : "count\\/min",\n        "data" : [\n');
  let ts = Date.UTC(2026, 0, 5, 0, 0, 0) / 1000;
  let bytes = 0;
  let bpm = 70;
  for (let first = true; bytes < megabytes * 1e6; first = false) {
    bpm = Math.max(45, Math.min(185, bpm + Math.round((random() - 0.5) * 4)));
    const point = `${first ? "" : ",\n"}          {\n            "date" : "${haeDate(ts, 3600)}",\n            "Min" : ${bpm},\n            "Avg" : ${bpm},\n            "Max" : ${bpm},\n            "source" : "${source}"\n          }`;
    writer.write(point);
    bytes += point.length;
    ts += random() < 0.97 ? 1 : 5 + Math.floor(random() * 600); // per second, with the odd pause
  }
  writer.write('\n        ]\n      }\n    ]\n  }\n}\n');
  await writer.end();
}

interface Row {
  what: string;
  mb: number;
  seconds: number;
  /** The child's user + system CPU: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  peakRssMb: number;
}

const RUNS = 3;
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Runs `root`'s copy of this file as a child doing `mode` on `path`, RUNS times; the child reports its own peak RSS. */
async function measure(what: string, mode: "summarize" | "json-parse", path: string, root = ROOT): Promise<Row> {
  const seconds: number[] = [];
  const cpu: number[] = [];
  const rss: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const proc = Bun.spawn(["bun", join(root, "bench/summarize.ts"), "--child", mode, path], { cwd: root, stdout: "pipe", stderr: "inherit" });
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    seconds.push((performance.now() - started) / 1000);
    if (code !== 0) throw new Error(`${mode} child exited ${code}: ${out}`);
    const usage = proc.resourceUsage()!;
    cpu.push(Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6);
    rss.push(JSON.parse(out.trim().split("\n").at(-1)!).maxRssKb / 1024);
  }
  return { what, mb: statSync(path).size / 1e6, seconds: median(seconds), cpuSeconds: median(cpu), peakRssMb: median(rss) };
}

async function child(mode: string, path: string): Promise<void> {
  if (mode === "summarize") {
    const ctx = { out: () => {}, err: (t: string) => void process.stderr.write(t), now: () => Math.floor(Date.now() / 1000), env: {}, log: silentLogger, interactive: false };
    const code = await run(parseCommand(command, [path, "--json"]), ctx);
    if (code !== 0) process.exit(code);
  } else {
    normalizePayload(JSON.parse(await Bun.file(path).text()));
  }
  // resourceUsage().maxRSS is in kilobytes on Linux
  console.log(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
}

if (process.argv[2] === "--child") {
  await child(process.argv[3]!, process.argv[4]!);
} else {
  const megabytes = Number(process.argv[2] ?? 150);
  const before = process.env.BENCH_BEFORE;
  const rows: Row[] = [];
  for (const size of [...new Set([10, megabytes])]) {
    const path = `/tmp/fitstack-bench-hae-${size}mb.json`;
    if (!existsSync(path) || statSync(path).size < size * 1e6) {
      process.stderr.write(`writing ${path} …\n`);
      await writeExport(path, size);
    }
    rows.push(await measure("fitstack summarize (streamed)", "summarize", path));
    if (before) rows.push(await measure("before (BENCH_BEFORE)", "summarize", path, before));
    rows.push(await measure("JSON.parse + normalizePayload", "json-parse", path));
  }
  console.log(`Medians of ${RUNS} runs.\n`);
  console.log("| what | file MB | wall s | CPU s | MB/s | peak RSS MB |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.what} | ${r.mb.toFixed(1)} | ${r.seconds.toFixed(2)} | ${r.cpuSeconds.toFixed(2)} | ${(r.mb / r.seconds).toFixed(1)} | ${r.peakRssMb.toFixed(0)} |`);
}
