// A decade of one person's heart rate: a raw log of N samples (a day per entry: a reading a minute plus a
// 5 s workout from a second source), rebuilt by `replay`, then held by the real server (embedded store):
// replay time and peak RSS, bytes per sample on disk (against the per-sample-row layout, written with the
// same rows in the same run), 60-point sync latency and /api/summary for a week and a year.
//   bun run bench/scale.ts                          # 1 M and 10 M samples
//   BENCH_SCALE=200000 bun run bench/scale.ts
import { Database } from "bun:sqlite";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ledger } from "../src/ledger/ledger";
import { RawLog } from "../src/raw/rawlog";
import { startServer } from "../tests/support/process";
import { smallSync } from "./generate";

const TOKEN = "bench-token-0123456789abcdef";
const SECRET = "bench-secret";
const USER = "me";
const SCALES = (process.env.BENCH_SCALE ?? "1000000,10000000").split(",").map(Number);
const MAIN = join(import.meta.dir, "../src/main.ts");
const PER_DAY = 1440 + 1300;
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

/** Syncs and summaries against `dataDir` and a server holding nothing, interleaved so both see the same noise. */
async function latencies(dataDir: string, lastDay: number) {
  const emptyDir = mkdtempSync(join(tmpdir(), "fitstack-scale-empty-"));
  const servers = [await startServer(env(dataDir)), await startServer(env(emptyDir))];
  const auth = { authorization: `Bearer ${TOKEN}` };
  const syncs: number[][] = [[], []];
  const cpuBefore = servers.map((server) => cpuMs(server.proc.pid));
  // 60-point syncs (5 min each) continuing after the last held day, each new
  for (let i = 0; i < 300; i++) {
    const body = smallSync((lastDay + 1) * 86_400 + 300 * i);
    for (const [k, server] of servers.entries()) {
      const t = performance.now();
      const res = await fetch(`${server.url}/hook/${SECRET}`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`sync answered ${res.status}`);
      syncs[k]!.push(performance.now() - t);
    }
  }
  const syncCpu = servers.map((server, k) => (cpuMs(server.proc.pid) - cpuBefore[k]!) / 300);
  const to = (lastDay + 1) * 86_400 + 300 * 300;
  const summaries = async (spanDays: number) => {
    const times: number[][] = [[], []];
    for (let i = 0; i < 30; i++) {
      for (const [k, server] of servers.entries()) {
        const t = performance.now();
        const res = await fetch(`${server.url}/api/summary?from=${to - spanDays * 86_400 - 3600 * i}&to=${to - 3600 * i}`, { headers: auth });
        await res.json();
        times[k]!.push(performance.now() - t);
      }
    }
    return times.map(median);
  };
  await summaries(30); // warm-up: the first requests pay for compiling the summary path
  const [week, year] = [await summaries(7), await summaries(365)];
  for (const server of servers) await server.stop();
  rmSync(emptyDir, { recursive: true, force: true });
  return servers.map((_, k) => ({ syncCpu: syncCpu[k]!, syncP50: median(syncs[k]!), syncP99: percentile(syncs[k]!, 0.99), week: week[k]!, year: year[k]! }));
}

async function scale(samples: number) {
  const days = Math.ceil(samples / PER_DAY);
  const lastDay = Math.floor(Date.now() / 86_400_000) - 2;
  const dataDir = mkdtempSync(join(tmpdir(), "fitstack-scale-"));
  const held = days * PER_DAY;
  writeRawLog(dataDir, days, lastDay);
  const started = performance.now();
  const proc = Bun.spawn(["bun", "run", MAIN, "replay"], { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env(dataDir) }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`replay exited ${code}: ${out} ${err}`);
  const replayS = (performance.now() - started) / 1000;
  const usage = proc.resourceUsage()!;
  const replayRssMb = Math.round(usage.maxRSS / 1024 / 1024);
  const replayCpuS = Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6;
  const bytesPerSample = (fileBytes(join(dataDir, "ledger.sqlite")) + fileBytes(join(dataDir, "metrics.sqlite"))) / held;
  const rowBytesPerSample = samples <= 2_000_000 ? perRowLayoutBytes(dataDir) / held : null;
  const [full, empty] = await latencies(dataDir, lastDay);
  rmSync(dataDir, { recursive: true, force: true });
  return { samples: held, replayS, replayCpuS, replayRssMb, bytesPerSample, rowBytesPerSample, full: full!, empty: empty! };
}

const rows = [];
for (const n of SCALES) rows.push(await scale(n));
console.log(`\nA decade at one person's scale: ${PER_DAY} heart-rate samples a day (a reading a minute + a 5 s workout from a second source), one raw entry per source and day; embedded store\n`);
console.log("| samples | replay, wall (s) | replay, CPU (s) | replay peak RSS (MB) | ledger + store bytes/sample | per-sample-row layout bytes/sample (same rows) |");
console.log("|---|---|---|---|---|---|");
for (const r of rows) {
  const ratio = r.rowBytesPerSample === null ? "not written at this size" : `${r.rowBytesPerSample.toFixed(1)} (${(r.rowBytesPerSample / r.bytesPerSample).toFixed(1)}× more)`;
  console.log(`| ${(r.samples / 1e6).toFixed(2)} M | ${r.replayS.toFixed(1)} | ${r.replayCpuS.toFixed(1)} | ${r.replayRssMb} | ${r.bytesPerSample.toFixed(2)} | ${ratio} |`);
}
console.log("\nThe same 300 syncs and 30 summaries sent alternately to the server holding the samples and to one holding nothing (same noise); medians\n");
console.log("| samples held | 60-point sync p50 / p99 (ms) | holding nothing | server CPU per sync (ms) | holding nothing | /api/summary week / year (ms) | holding nothing |");
console.log("|---|---|---|---|---|---|---|");
const f = (n: number) => n.toFixed(2);
for (const { samples, full, empty } of rows) {
  console.log(`| ${(samples / 1e6).toFixed(2)} M | ${f(full.syncP50)} / ${f(full.syncP99)} | ${f(empty.syncP50)} / ${f(empty.syncP99)} | ${f(full.syncCpu)} | ${f(empty.syncCpu)} | ${f(full.week)} / ${f(full.year)} | ${f(empty.week)} / ${f(empty.year)} |`);
}
