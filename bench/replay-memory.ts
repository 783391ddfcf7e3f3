// Replay's memory against the size of raw entries: raw logs holding one 64 MiB entry of tiny fixture samples,
// and one 64 MiB HAE entry of per-minute heart rate, rebuilt by `replay` (embedded store) as a child process;
// peak RSS and time, and the same on another version (BENCH_BEFORE=<its src/main.ts>) in the same run.
//   bun run bench/replay-memory.ts
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RawLog } from "../src/raw/rawlog";
import { haeDate } from "./generate";

const MAIN = join(import.meta.dir, "../src/main.ts");
const ENTRY_MB = Number(process.env.REPLAY_ENTRY_MB ?? 64);
const END = Math.floor(Date.now() / 86_400_000) * 86_400 - 86_400;

/** A fixture body of `mb` MiB: one sample a second, ~30 bytes each. */
function tinySamples(mb: number): string {
  const parts: string[] = [];
  let size = 40;
  for (let i = 0; size < mb * 1024 * 1024; i++) {
    const part = `{"ts":${END - 3_000_000 + i},"bpm":${60 + (i % 120)}}`;
    parts.push(part);
    size += part.length + 1;
  }
  return `{"type":"heart_rate","source":"strap","samples":[${parts.join(",")}]}`;
}

/** An HAE body of `mb` MiB: one point a minute, backwards from END. */
function haeMinutes(mb: number): string {
  const parts: string[] = [];
  let size = 80;
  for (let i = 0; size < mb * 1024 * 1024; i++) {
    const bpm = 55 + (i % 130);
    const part = `{"date":"${haeDate(END - 60 * i)}","Min":${bpm},"Avg":${bpm},"Max":${bpm},"source":"Ana’s Apple Watch"}`;
    parts.push(part);
    size += part.length + 1;
  }
  return `{"data":{"metrics":[{"name":"heart_rate","units":"count/min","data":[${parts.reverse().join(",")}]}]}}`;
}

async function replay(main: string, dataDir: string) {
  const started = performance.now();
  const proc = Bun.spawn(["bun", "run", main, "replay"], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", AUTH_TOKEN: "bench-token-0123456789", DATA_DIR: dataDir, HR_MAX: "190" },
    stdout: "pipe",
    stderr: "pipe",
  });
  // VmHWM polled while it runs: the exit's maxRSS also counts the pages this (big) process had when it forked
  let peak = 0;
  const poll = setInterval(() => {
    try {
      peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))![1]) * 1024);
    } catch {}
  }, 50);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearInterval(poll);
  const usage = proc.resourceUsage()!;
  return {
    code,
    wall: (performance.now() - started) / 1000,
    cpu: Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6,
    rss: Math.round(peak / 1024 / 1024),
    note: code === 0 ? "" : (err || out).trim().split("\n").at(-1)!.slice(0, 120),
  };
}

const bodies = [
  { name: `${ENTRY_MB} MiB of tiny fixture samples`, text: tinySamples(ENTRY_MB) },
  { name: `${ENTRY_MB} MiB HAE entry, a point a minute`, text: haeMinutes(ENTRY_MB) },
];
const versions = [{ name: "this tree", main: MAIN }, ...(process.env.BENCH_BEFORE ? [{ name: `before (${process.env.BENCH_BEFORE})`, main: process.env.BENCH_BEFORE }] : [])];

console.log(`\nReplay of one big raw entry (embedded store; wall time is noisy on a shared machine, peak RSS is not)\n`);
console.log("| version | raw entry | samples | exit | wall (s) | CPU (s) | peak RSS (MB) |");
console.log("|---|---|---|---|---|---|---|");
for (const body of bodies) {
  const samples = body.text.split(body.text.startsWith('{"type"') ? '"ts":' : '"date":').length - 1;
  for (const version of versions) {
    const dataDir = mkdtempSync(join(tmpdir(), "fitstack-replay-mem-"));
    const raw = new RawLog(dataDir);
    raw.append(new TextEncoder().encode(body.text), { id: "big", receivedAt: new Date(END * 1000), user: "me" });
    raw.close();
    const r = await replay(version.main, dataDir);
    console.log(`| ${version.name} | ${body.name} | ${samples} | ${r.code}${r.note ? ` (${r.note})` : ""} | ${r.wall.toFixed(1)} | ${r.cpu.toFixed(1)} | ${r.rss} |`);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
