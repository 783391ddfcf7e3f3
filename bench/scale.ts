// A decade of one person's heart rate: a raw log of N samples (a day per entry: a reading a minute plus a
// 5 s workout from a second source), rebuilt by `replay`, then held by the real server (embedded store):
// replay time and peak RSS, bytes per sample on disk (against the per-sample-row layout, written with the
// same rows in the same run), 60-point sync latency and /api/summary for a week and a year, against a server
// holding nothing on the same disk and one holding nothing on tmpfs (where fsync costs nothing); then the
// same raw log replayed into VictoriaMetrics and the same syncs and summaries there (skipped without VM).
//   bun run bench/scale.ts                          # 1 M and 10 M samples
//   BENCH_SCALE=200000 bun run bench/scale.ts
//   BENCH_VM=0 …                                   # the embedded store only
//   BENCH_BEFORE=../old-checkout …                 # also the syncs to that checkout's server, on a copy of the data
import { Database } from "bun:sqlite";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ledger } from "../src/ledger/ledger";
import { RawLog } from "../src/raw/rawlog";
import { startServer, type ServerProcess } from "../tests/support/process";
import { startVm, vmUnavailable } from "../tests/support/vm";
import { smallSync } from "./generate";

const TOKEN = "bench-token-0123456789abcdef";
const SECRET = "bench-secret";
const USER = "me";
const SCALES = (process.env.BENCH_SCALE ?? "1000000,10000000").split(",").map(Number);
const MAIN = join(import.meta.dir, "../src/main.ts");
const PER_DAY = 1440 + 1300;
const BEFORE = process.env.BENCH_BEFORE;
const env = (dataDir: string) => ({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, USER_LABEL: USER, DATA_DIR: dataDir, HR_MAX: "190" });

function rng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

/** Day d's samples: a reading a minute ("Apple Watch"), and 1300 at 5 s from 17:00 UTC ("Polar H10"). */
function daySamples(day: number, random: () => number) {
  const start = day * 86_400;
  const watch = Array.from({ length: 1440 }, (_, i) => ({ ts: start + 60 * i, bpm: 52 + Math.round(random() * 40) + (random() < 0.05 ? 0.5 : 0) }));
  const strap = Array.from({ length: 1300 }, (_, i) => ({ ts: start + 17 * 3600 + 5 * i, bpm: 110 + Math.round(random() * 75) }));
  return { watch, strap };
}

function writeRawLog(dataDir: string, days: number, lastDay: number) {
  const raw = new RawLog(dataDir);
  const random = rng(16);
  for (let d = lastDay - days + 1; d <= lastDay; d++) {
    const { watch, strap } = daySamples(d, random);
    const at = new Date((d + 1) * 86_400_000);
    raw.append(Buffer.from(JSON.stringify({ type: "heart_rate", source: "Apple Watch", samples: watch })), { id: crypto.randomUUID(), receivedAt: at, user: USER });
    raw.append(Buffer.from(JSON.stringify({ type: "heart_rate", source: "Polar H10", samples: strap })), { id: crypto.randomUUID(), receivedAt: at, user: USER });
  }
  raw.close();
}

function fileBytes(path: string): number {
  const db = new Database(path);
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  return statSync(path).size + (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
}

/** The same samples and credits in the per-sample-row layout this replaces (its schema, verbatim). */
function perRowLayoutBytes(dataDir: string): number {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-rows-"));
  const ledger = new Ledger(dataDir);
  const old = new Database(join(dir, "ledger.sqlite"));
  const store = new Database(join(dir, "metrics.sqlite"));
  old.exec(`PRAGMA journal_mode = WAL;
    CREATE TABLE hr_sample (user TEXT NOT NULL, ts INTEGER NOT NULL, source TEXT NOT NULL, device TEXT NOT NULL, bpm REAL NOT NULL, PRIMARY KEY (user, ts, source, device)) WITHOUT ROWID;
    CREATE TABLE credit (user TEXT NOT NULL, ts INTEGER NOT NULL, bpm REAL NOT NULL, zone INTEGER NOT NULL, seconds REAL NOT NULL, PRIMARY KEY (user, ts)) WITHOUT ROWID;`);
  store.exec(`PRAGMA journal_mode = WAL;
    CREATE TABLE zone_credit (user TEXT NOT NULL, ts INTEGER NOT NULL, zone INTEGER NOT NULL, seconds REAL NOT NULL, PRIMARY KEY (user, ts)) WITHOUT ROWID;
    CREATE TABLE heart_rate (user TEXT NOT NULL, ts INTEGER NOT NULL, bpm REAL NOT NULL, PRIMARY KEY (user, ts)) WITHOUT ROWID;`);
  const sample = old.query("INSERT INTO hr_sample VALUES (?, ?, ?, '', ?)");
  const credit = old.query("INSERT INTO credit VALUES (?, ?, ?, ?, ?)");
  const zone = store.query("INSERT INTO zone_credit VALUES (?, ?, ?, ?)");
  const heartRate = store.query("INSERT INTO heart_rate VALUES (?, ?, ?)");
  const first = ledger.firstTs(USER)!;
  const last = Math.floor(ledger.zoneRewrite(USER, Number.MAX_SAFE_INTEGER).previousTs! / 86_400);
  const random = rng(16);
  for (let d = Math.floor(first / 86_400); d <= last; d++) {
    const { watch, strap } = daySamples(d, random);
    old.transaction(() => {
      for (const s of watch) sample.run(USER, s.ts, "Apple Watch", s.bpm);
      for (const s of strap) sample.run(USER, s.ts, "Polar H10", s.bpm);
    })();
  }
  for (const slice of ledger.zoneRewrites(USER, first, 100_000)) {
    old.transaction(() => slice.credits.forEach((c) => credit.run(USER, c.ts, c.bpm, c.zone, c.seconds)))();
    store.transaction(() => {
      for (const c of slice.credits) {
        if (c.seconds > 0) zone.run(USER, c.ts, c.zone, c.seconds);
        heartRate.run(USER, c.ts, c.bpm);
      }
    })();
  }
  ledger.close();
  old.close();
  store.close();
  const bytes = fileBytes(join(dir, "ledger.sqlite")) + fileBytes(join(dir, "metrics.sqlite"));
  rmSync(dir, { recursive: true, force: true });
  return bytes;
}

/** CPU milliseconds a process has used (utime + stime, clock ticks of 10 ms). */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

/** Sum and count of a Prometheus histogram in the server's /metrics. */
async function histogram(server: ServerProcess, name: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  // a histogram nothing was observed in has no lines yet
  const value = (suffix: string) => Number(new RegExp(`^${name}_${suffix}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1] ?? 0);
  return { sum: value("sum"), count: value("count") };
}

const loadAverage = () => Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);

interface Latency {
  /** Load average (1 min) before and after the server's syncs. */
  load: [number, number];
  syncCpu: number;
  /** CPU per sync over the day's first 60 syncs and its last 60 (the day's block then holds 14–17 k samples). */
  earlyCpu: number;
  lateCpu: number;
  syncP50: number;
  syncP99: number;
  hookMean: number;
  fsyncMean: number;
  week: number;
  year: number;
}

/**
 * One server's 300 syncs and 30 summaries per span, measured alone: it is started for its turn and stopped after,
 * the disk synced before it starts. Three servers answering in turn on one disk measure each other: one's fsync
 * also writes out the others' unsynced pages (ext4 orders data before the journal commit), and their caches evict
 * each other's (fourth session: p50 5.3 ms in turn against 3.6 ms alone, same build).
 */
async function latency(start: () => Promise<ServerProcess>, lastDay: number): Promise<Latency> {
  Bun.spawnSync(["sync"]);
  const server = await start();
  try {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const syncs: number[] = [];
    const load: [number, number] = [loadAverage(), 0];
    const cpuBefore = cpuMs(server.proc.pid);
    const hookBefore = await histogram(server, "fitstack_hook_duration_seconds");
    const fsyncBefore = await histogram(server, "fitstack_raw_fsync_duration_seconds");
    // 60-point syncs (5 min each) continuing after the last held day, each new
    // CPU snapshots at the day's first and last 60 syncs: each sync merges into the day it lands in (288 syncs a day)
    const dayCpu = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      if ([0, 60, 228, 288].includes(i)) dayCpu.set(i, cpuMs(server.proc.pid));
      const body = smallSync((lastDay + 1) * 86_400 + 300 * i);
      const t = performance.now();
      const res = await fetch(`${server.url}/hook/${SECRET}`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`sync answered ${res.status}`);
      syncs.push(performance.now() - t);
    }
    const syncCpu = (cpuMs(server.proc.pid) - cpuBefore) / 300;
    const cpuBetween = (a: number, b: number) => (dayCpu.get(b)! - dayCpu.get(a)!) / (b - a);
    const meanMs = async (name: string, before: { sum: number; count: number }) => {
      const after = await histogram(server, name);
      return ((after.sum - before.sum) / (after.count - before.count)) * 1000;
    };
    const [hookMean, fsyncMean] = [await meanMs("fitstack_hook_duration_seconds", hookBefore), await meanMs("fitstack_raw_fsync_duration_seconds", fsyncBefore)];
    load[1] = loadAverage();
    const to = (lastDay + 1) * 86_400 + 300 * 300;
    const summaries = async (spanDays: number) => {
      const times: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t = performance.now();
        const res = await fetch(`${server.url}/api/summary?from=${to - spanDays * 86_400 - 3600 * i}&to=${to - 3600 * i}`, { headers: auth });
        await res.json();
        times.push(performance.now() - t);
      }
      return median(times);
    };
    await summaries(30); // warm-up: the first requests pay for compiling the summary path
    const [week, year] = [await summaries(7), await summaries(365)];
    return {
      load,
      syncCpu,
      earlyCpu: cpuBetween(0, 60),
      lateCpu: cpuBetween(228, 288),
      syncP50: median(syncs),
      syncP99: percentile(syncs, 0.99),
      hookMean,
      fsyncMean,
      week,
      year,
    };
  } finally {
    await server.stop();
  }
}

/**
 * The same syncs to another checkout's server (BENCH_BEFORE=DIR, e.g. a worktree of an earlier commit) holding the
 * same samples: `copy`, the data dir as this build's replay left it, taken before any sync (an earlier build opens
 * it: the columns this one added are left alone or emptied).
 */
async function latencyBefore(checkout: string, copy: string, lastDay: number): Promise<Latency> {
  try {
    return await latency(() => startServer(env(copy), ["bun", "run", join(checkout, "src/main.ts"), "serve"]), lastDay);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/** `fitstack replay` from scratch: wall, CPU and peak RSS. */
async function replay(extraEnv: Record<string, string>) {
  const started = performance.now();
  const proc = Bun.spawn(["bun", "run", MAIN, "replay"], { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...extraEnv }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`replay exited ${code}: ${out} ${err}`);
  const usage = proc.resourceUsage()!;
  return { wallS: (performance.now() - started) / 1000, cpuS: Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6, rssMb: Math.round(usage.maxRSS / 1024 / 1024) };
}

/** The same raw log replayed into a fresh VictoriaMetrics; its server against one for a person holding nothing there. */
async function onVm(dataDir: string, lastDay: number) {
  const vm = await startVm();
  const vmDir = mkdtempSync(join(tmpdir(), "fitstack-scale-vm-"));
  const emptyDir = mkdtempSync(join(tmpdir(), "fitstack-scale-vm-empty-"));
  try {
    cpSync(join(dataDir, "raw"), join(vmDir, "raw"), { recursive: true });
    const replayed = await replay({ ...env(vmDir), VM_URL: vm.url });
    const full = await latency(() => startServer({ ...env(vmDir), VM_URL: vm.url }), lastDay);
    const empty = await latency(() => startServer({ ...env(emptyDir), VM_URL: vm.url, USER_LABEL: "nobody" }), lastDay);
    return { replay: replayed, full, empty };
  } finally {
    await vm.stop();
    for (const dir of [vmDir, emptyDir]) rmSync(dir, { recursive: true, force: true });
  }
}

async function scale(samples: number) {
  const days = Math.ceil(samples / PER_DAY);
  const lastDay = Math.floor(Date.now() / 86_400_000) - 2;
  const dataDir = mkdtempSync(join(tmpdir(), "fitstack-scale-"));
  const held = days * PER_DAY;
  writeRawLog(dataDir, days, lastDay);
  const replayed = await replay(env(dataDir));
  const bytesPerSample = (fileBytes(join(dataDir, "ledger.sqlite")) + fileBytes(join(dataDir, "metrics.sqlite"))) / held;
  const rowBytesPerSample = samples <= 2_000_000 ? perRowLayoutBytes(dataDir) / held : null;
  const emptyDir = mkdtempSync(join(tmpdir(), "fitstack-scale-empty-"));
  const tmpfsDir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "fitstack-scale-tmpfs-"));
  const beforeDir = BEFORE ? mkdtempSync(join(tmpdir(), "fitstack-scale-before-")) : null;
  if (beforeDir) cpSync(dataDir, beforeDir, { recursive: true });
  const full = await latency(() => startServer(env(dataDir)), lastDay);
  const empty = await latency(() => startServer(env(emptyDir)), lastDay);
  const tmpfs = await latency(() => startServer(env(tmpfsDir)), lastDay);
  const before = BEFORE ? await latencyBefore(BEFORE, beforeDir!, lastDay) : null;
  const vm = vmUnavailable() || process.env.BENCH_VM === "0" ? null : await onVm(dataDir, lastDay);
  for (const dir of [dataDir, emptyDir, tmpfsDir]) rmSync(dir, { recursive: true, force: true });
  return { samples: held, replay: replayed, bytesPerSample, rowBytesPerSample, full, empty, tmpfs, before, vm };
}

const rows = [];
for (const n of SCALES) rows.push(await scale(n));
console.log(`\nA decade at one person's scale: ${PER_DAY} heart-rate samples a day (a reading a minute + a 5 s workout from a second source), one raw entry per source and day; embedded store\n`);
console.log("| samples | replay, wall (s) | replay, CPU (s) | replay peak RSS (MB) | ledger + store bytes/sample | per-sample-row layout bytes/sample (same rows) |");
console.log("|---|---|---|---|---|---|");
for (const r of rows) {
  const ratio = r.rowBytesPerSample === null ? "not written at this size" : `${r.rowBytesPerSample.toFixed(1)} (${(r.rowBytesPerSample / r.bytesPerSample).toFixed(1)}× more)`;
  console.log(`| ${(r.samples / 1e6).toFixed(2)} M | ${r.replay.wallS.toFixed(1)} | ${r.replay.cpuS.toFixed(1)} | ${r.replay.rssMb} | ${r.bytesPerSample.toFixed(2)} | ${ratio} |`);
}
console.log(
  "\nThe same 300 syncs and 30 summaries (per span) sent to each server, one server at a time (started for its turn, stopped after, the disk synced before); medians. Hook time and raw-log write + fsync are the server's own means (its /metrics histograms); the tmpfs server's fsync costs nothing, so its figures are what is left without the disk\n",
);
console.log("| samples held | server | load average (1 min) during the syncs | 60-point sync p50 / p99 (ms) | server CPU per sync (ms) | of the day's first 60 / last 60 syncs | hook time in the server, mean (ms) | raw-log write + fsync, mean (ms) | /api/summary week / year (ms) |");
console.log("|---|---|---|---|---|---|---|---|---|");
const f = (n: number) => n.toFixed(2);
const line = (samples: number, server: string, l: Latency) =>
  console.log(`| ${(samples / 1e6).toFixed(2)} M | ${server} | ${l.load[0].toFixed(1)} → ${l.load[1].toFixed(1)} | ${f(l.syncP50)} / ${f(l.syncP99)} | ${f(l.syncCpu)} | ${f(l.earlyCpu)} / ${f(l.lateCpu)} | ${f(l.hookMean)} | ${f(l.fsyncMean)} | ${f(l.week)} / ${f(l.year)} |`);
for (const { samples, full, empty, tmpfs, before } of rows) {
  line(samples, "embedded, holding them", full);
  if (before) line(samples, `embedded, holding them: ${BEFORE} (BENCH_BEFORE)`, before);
  line(samples, "embedded, holding nothing", empty);
  line(samples, "embedded, holding nothing, DATA_DIR on tmpfs", tmpfs);
}
if (rows.some((r) => r.vm)) {
  console.log("\nVictoriaMetrics: the same raw log replayed into a fresh VM, then the same syncs and summaries against a person holding nothing in the same VM\n");
  console.log("| samples held | replay into VM, wall / CPU (s) | load average (1 min) during the syncs | 60-point sync p50 / p99 (ms) | holding nothing | server CPU per sync (ms) | holding nothing | /api/summary week / year (ms) | holding nothing |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const { samples, vm } of rows) {
    if (!vm) continue;
    const { replay: r, full, empty } = vm;
    console.log(`| ${(samples / 1e6).toFixed(2)} M | ${r.wallS.toFixed(1)} / ${r.cpuS.toFixed(1)} | ${full.load[0].toFixed(1)} → ${full.load[1].toFixed(1)} | ${f(full.syncP50)} / ${f(full.syncP99)} | ${f(empty.syncP50)} / ${f(empty.syncP99)} | ${f(full.syncCpu)} | ${f(empty.syncCpu)} | ${f(full.week)} / ${f(full.year)} | ${f(empty.week)} / ${f(empty.year)} |`);
  }
} else console.log(`\nVictoriaMetrics not measured: ${vmUnavailable()}`);
