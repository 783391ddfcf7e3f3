// Reading a big body: `normalizedPieces` over a spooled year of per-minute heart rate (≈50 MB, 525,600 points),
// as the server reads one (a FileSource, a collection every 32 MB of growth, as the pipeline does), against
// JSON.parse of the same body's decoded text. Each figure is one fresh process (after `warmUp`, as `serve` does):
// CPU time and minor page faults, median of RUNS; BENCH_BEFORE=<another checkout's src/normalize/stream.ts> adds
// that version in the same run.
//   bun run bench/parse-body.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { yearOfData } from "./generate";

const RUNS = Number(process.env.RUNS ?? 7);
const THIS = join(import.meta.dir, "../src/normalize/stream.ts");

const cpuMs = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};

/** Child: one measurement in a fresh process, printed as JSON. */
async function child(mode: string, stream: string, file: string) {
  const { FileSource, normalizedPieces, warmUp } = (await import(stream)) as typeof import("../src/normalize/stream");
  const { MemoryGuard } = (await import(join(stream, "../../memory.ts"))) as typeof import("../src/memory");
  warmUp();
  // the whole body's text, decoded before the clock starts: JSON.parse alone is the floor
  const text = mode === "parse" ? new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(await Bun.file(file).bytes()) : "";
  Bun.gc(true);
  const faults = process.resourceUsage().minorPageFault;
  const started = cpuMs();
  let points = 0;
  if (mode === "parse") {
    const body = JSON.parse(text) as { data: { metrics: { data: unknown[] }[] } };
    points = body.data.metrics[0]!.data.length;
  } else {
    const source = new FileSource(file);
    const memory = new MemoryGuard();
    for (const piece of normalizedPieces(source)) {
      if (!piece) continue;
      points += piece.heartRate.length;
      memory.check(piece.heartRate.length + piece.gauges.length + piece.sleep.length + piece.workouts.length);
    }
    source.close();
  }
  console.log(JSON.stringify({ cpu: cpuMs() - started, points, faults: process.resourceUsage().minorPageFault - faults }));
}

if (process.argv[2] === "--child") {
  await child(process.argv[3]!, process.argv[4]!, process.argv[5]!);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), "fitstack-parse-"));
const file = join(dir, "year.json");
const { body, heartRatePoints } = yearOfData(1_790_000_000, 365);
await Bun.write(file, body);

const variants = [
  { name: "JSON.parse of the whole body's text", mode: "parse", stream: THIS },
  ...(process.env.BENCH_BEFORE ? [{ name: `normalizedPieces, before (${process.env.BENCH_BEFORE})`, mode: "pieces", stream: process.env.BENCH_BEFORE }] : []),
  { name: "normalizedPieces (this tree)", mode: "pieces", stream: THIS },
];
const cpu = new Map<string, number[]>();
const faults = new Map<string, number[]>();
for (let run = 0; run < RUNS; run++) {
  // variants interleaved, so a burst of load elsewhere falls on all of them
  for (const v of variants) {
    const proc = Bun.spawnSync(["bun", "run", import.meta.path, "--child", v.mode, v.stream, file], { stdout: "pipe", stderr: "inherit" });
    if (proc.exitCode !== 0) throw new Error(`${v.name}: exit ${proc.exitCode}`);
    const out = JSON.parse(proc.stdout.toString()) as { cpu: number; points: number; faults: number };
    if (out.points !== heartRatePoints) throw new Error(`${v.name}: ${out.points} points, expected ${heartRatePoints}`);
    cpu.set(v.name, [...(cpu.get(v.name) ?? []), out.cpu]);
    faults.set(v.name, [...(faults.get(v.name) ?? []), out.faults]);
  }
}
rmSync(dir, { recursive: true, force: true });

const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)]!;
const parse = median(cpu.get(variants[0]!.name)!);
console.log(`\n${(body.length / 1e6).toFixed(1)} MB, ${heartRatePoints} heart-rate points; CPU time and minor page faults, medians of ${RUNS} fresh processes\n`);
console.log("| reading | CPU (ms) | × JSON.parse | page faults | CPU of each run (ms) |");
console.log("|---|---|---|---|---|");
for (const v of variants) {
  const runs = cpu.get(v.name)!;
  console.log(`| ${v.name} | ${median(runs).toFixed(0)} | ${(median(runs) / parse).toFixed(2)}× | ${median(faults.get(v.name)!)} | ${runs.map((r) => r.toFixed(0)).join(", ")} |`);
}
