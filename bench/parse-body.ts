// Reading a big body: `normalizedPieces` over a spooled year of per-minute heart rate (≈50 MB, 525,600 points),
// as the server reads one (a FileSource, a collection every 32 MB of growth, as the pipeline does), against
// JSON.parse of the same body's decoded text. Each figure is one fresh process (after `warmUp`, as `serve` does):
// CPU time and minor page faults, median of RUNS; BENCH_BEFORE=<another checkout's src/normalize/stream.ts> adds
// that version in the same run, and then the same body posted to a fresh server (embedded store) of each version,
// interleaved SERVER_RUNS times: the server's CPU and wall time until it answered.
//   bun run bench/parse-body.ts
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../tests/support/process";
import { yearOfData } from "./generate";

const RUNS = Number(process.env.RUNS ?? 7);
const SERVER_RUNS = Number(process.env.SERVER_RUNS ?? 3);
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
// ending an hour ago, as bench/big-body.ts: a body ending near now costs the server more (recent days are delivered)
const { body, heartRatePoints } = yearOfData(Math.floor(Date.now() / 1000) - 3600, 365);
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

/** CPU milliseconds a process has used (utime + stime, clock ticks of 10 ms). */
const processCpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

/** The body posted to a fresh server of that version (its src/main.ts): CPU and wall milliseconds until answered. */
async function posted(main: string) {
  const dataDir = mkdtempSync(join(tmpdir(), "fitstack-parse-server-"));
  const token = "bench-token-0123456789";
  const server = await startServer({ AUTH_TOKEN: token, SECRET_PATH: "bench", DATA_DIR: dataDir, MAX_BODY_MB: "200" }, ["bun", "run", main, "serve"]);
  try {
    const cpuBefore = processCpuMs(server.proc.pid);
    const started = performance.now();
    const res = await fetch(`${server.url}/hook/bench`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: Bun.file(file) });
    const answer = (await res.json()) as { accepted_samples: number };
    if (answer.accepted_samples !== heartRatePoints) throw new Error(`${main}: ${JSON.stringify(answer).slice(0, 200)}`);
    return { wall: performance.now() - started, cpu: processCpuMs(server.proc.pid) - cpuBefore };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const servers = process.env.BENCH_BEFORE
  ? [
      { name: `before (${join(process.env.BENCH_BEFORE, "../../main.ts")})`, main: join(process.env.BENCH_BEFORE, "../../main.ts"), runs: [] as { wall: number; cpu: number }[] },
      { name: "this tree", main: join(import.meta.dir, "../src/main.ts"), runs: [] as { wall: number; cpu: number }[] },
    ]
  : [];
for (let run = 0; run < SERVER_RUNS && servers.length; run++) for (const server of servers) server.runs.push(await posted(server.main));
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
if (servers.length) {
  console.log(`\nThe same body posted to a fresh server (embedded store), the versions interleaved; medians of ${SERVER_RUNS}\n`);
  console.log("| server | CPU until answered (s) | answered, wall (s) | each run: CPU / wall (s) |");
  console.log("|---|---|---|---|");
  for (const server of servers) {
    const each = server.runs.map((r) => `${(r.cpu / 1000).toFixed(2)} / ${(r.wall / 1000).toFixed(2)}`).join(", ");
    console.log(`| ${server.name} | ${(median(server.runs.map((r) => r.cpu)) / 1000).toFixed(2)} | ${(median(server.runs.map((r) => r.wall)) / 1000).toFixed(2)} | ${each} |`);
  }
}
