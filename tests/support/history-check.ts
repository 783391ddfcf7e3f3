// Runs the randomized history check against one store: `replay` of the raw log, the tail over HTTP to the
// real server, then every range through /api/summary, local days around DST through /api/load and, on
// VictoriaMetrics, the zone counters read back raw (/api/v1/export), each against the reference.
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ZONES, type ZoneSeconds } from "../../src/transform/zones";
import { startServer } from "./process";
import {
  berlinMidnight,
  dstWindows,
  HISTORY_ENV,
  lastReading,
  payloadBody,
  rangeZones,
  totalsAt,
  USER,
  type History,
  type Payload,
  type Range,
  type Reference,
} from "./random-history";

const TOKEN = "check-token-0123456789abcdef";
const SECRET = "check-secret";
/** VM's raw points of a range are exported whole: ranges longer than this are checked through /api/summary only. */
export const VM_RAW_MAX_S = 8 * 86_400;

export interface Mismatch {
  what: string;
  expected: unknown;
  got: unknown;
}

export interface StoreCheck {
  store: "sqlite" | "victoriametrics";
  replayS: number;
  replayCpuS: number;
  tailS: number;
  /** Asking and comparing everything. */
  checkS: number;
  ranges: number;
  localDays: number;
  vmSeriesRanges: number;
  mismatches: Mismatch[];
}

/** A DATA_DIR holding a copy of the history's raw log and nothing else. */
export function copyRawLog(rawDataDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-check-"));
  cpSync(join(rawDataDir, "raw"), join(dir, "raw"), { recursive: true });
  return dir;
}

/** Every instant whose running totals the checks need: both ends of each range and of each local day. */
export function checkInstants(ranges: readonly Range[], ref: Reference): number[] {
  const days = dstWindows(ref).flatMap((w) => localDayBounds(w.from, w.to));
  return [...ranges.flatMap((r) => [r.from, r.to]), ...days.flatMap((d) => [d.start - 1, d.end - 1])];
}

function localDayBounds(from: string, to: string) {
  const out: { date: string; start: number; end: number }[] = [];
  const [y, m, d] = from.split("-").map(Number) as [number, number, number];
  for (let k = 0; ; k++) {
    const start = berlinMidnight(y, m, d + k);
    const date = new Date(Date.UTC(y, m - 1, d + k)).toISOString().slice(0, 10);
    if (date > to) return out;
    out.push({ date, start, end: berlinMidnight(y, m, d + k + 1) });
  }
}

/**
 * `dataDir` holds the raw log only. `vmUrl` set: the VictoriaMetrics store. Builds with `replay`, sends the
 * tail to the real server, and compares; `totals` are the reference's running totals at checkInstants().
 */
export async function checkStore(options: {
  dataDir: string;
  vmUrl?: string;
  history: History;
  tail: readonly Payload[];
  ref: Reference;
  ranges: readonly Range[];
  totals: Map<number, number[]>;
}): Promise<StoreCheck> {
  const { dataDir, vmUrl, history, tail, ref, ranges, totals } = options;
  const env = { ...HISTORY_ENV, AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, ...(vmUrl ? { VM_URL: vmUrl } : {}) };
  const { replayS, replayCpuS } = await replay(env);
  const server = await startServer(env);
  const mismatches: Mismatch[] = [];
  try {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const tailStarted = performance.now();
    for (const p of tail) {
      const res = await fetch(`${server.url}/hook/${SECRET}`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: payloadBody(history.samples, p) });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`the tail's payload answered ${res.status}: ${text.slice(0, 300)}`);
    }
    const tailS = (performance.now() - tailStarted) / 1000;
    if (vmUrl) await fetch(`${vmUrl}/internal/force_flush`);
    const checkStarted = performance.now();
    for (const { kind, from, to } of ranges) {
      const expected = { zone_seconds: rangeZones(totals, from, to), last_heart_rate: lastReading(ref, from, to) };
      const what = `/api/summary ${kind} (${from}, ${to}]`;
      const asked = performance.now();
      // a slow answer may lose its connection (Bun's idle timeout): that is a wrong answer too, and the rest still count
      const res = await fetch(`${server.url}/api/summary?from=${from}&to=${to}`, { headers: auth }).catch((err: Error & { code?: string }) => {
        mismatches.push({ what, expected, got: `no answer: ${err.code ?? err.message} after ${Math.round(performance.now() - asked)} ms` });
        return null;
      });
      if (!res) continue;
      if (res.status !== 200) {
        // the server logs why the store failed (one line, no secret): keep the last such line with the answer
        const why = server.output().split("\n").filter((l) => l.includes("summary failed")).at(-1) ?? "";
        mismatches.push({ what, expected, got: `${res.status} after ${Math.round(performance.now() - asked)} ms: ${(await res.text()).slice(0, 200)} ${why.slice(0, 400)}` });
        continue;
      }
      const got = (await res.json()) as { zone_seconds: ZoneSeconds; last_heart_rate: { ts: number; bpm: number } | null };
      const answer = { zone_seconds: got.zone_seconds, last_heart_rate: got.last_heart_rate };
      if (!Bun.deepEquals(answer, expected)) mismatches.push({ what, expected, got: answer });
    }
    let localDays = 0;
    for (const window of dstWindows(ref)) {
      const res = await fetch(`${server.url}/api/load?from=${window.from}&to=${window.to}`, { headers: auth });
      if (res.status !== 200) throw new Error(`load answered ${res.status}: ${await res.text()}`);
      const got = ((await res.json()) as { days: { date: string; zone_seconds: ZoneSeconds }[] }).days;
      const expected = localDayBounds(window.from, window.to).map((d) => ({ date: d.date, zone_seconds: rangeZones(totals, d.start - 1, d.end - 1) }));
      const answer = got.map((d) => ({ date: d.date, zone_seconds: d.zone_seconds }));
      localDays += expected.length;
      if (!Bun.deepEquals(answer, expected)) mismatches.push({ what: `/api/load ${window.from}..${window.to}`, expected, got: answer });
    }
    let vmSeriesRanges = 0;
    if (vmUrl) {
      // read raw, only ranges up to VM_RAW_MAX_S: the points of a range are exported whole
      for (const { kind, from, to } of ranges.filter((r) => r.to - r.from <= VM_RAW_MAX_S)) {
        const got = await vmZoneSeconds(vmUrl, from, to);
        const expected = rangeZones(totals, from, to);
        vmSeriesRanges++;
        if (!Bun.deepEquals(got, expected)) mismatches.push({ what: `VM zone_seconds_total ${kind} (${from}, ${to}]`, expected, got });
      }
    }
    const checkS = (performance.now() - checkStarted) / 1000;
    return { store: vmUrl ? "victoriametrics" : "sqlite", replayS, replayCpuS, tailS, checkS, ranges: ranges.length, localDays, vmSeriesRanges, mismatches };
  } finally {
    await server.stop();
  }
}

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

/** `fitstack replay` from scratch as a child process: wall and CPU seconds. */
async function replay(env: Record<string, string>) {
  const started = performance.now();
  const proc = Bun.spawn(["bun", "run", MAIN, "replay"], { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`replay exited ${code}: ${(out + err).slice(-2000)}`);
  const usage = proc.resourceUsage()!;
  return { replayS: (performance.now() - started) / 1000, replayCpuS: Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6 };
}

/**
 * Zone seconds in (from, to] read from VM's raw points (/api/v1/export, the newest point of each (s-1, s] dedup
 * bucket) as a counter with resets: each point adds its rise over the one before, or its whole value after a drop.
 * Every zone's counter restarts at 0 a second before its first instant of each UTC day (src/store/vm.ts), so the
 * export starts at from's UTC midnight less two seconds.
 */
async function vmZoneSeconds(vmUrl: string, from: number, to: number): Promise<ZoneSeconds> {
  const start = Math.floor(from / 86_400) * 86_400 - 2;
  const params = new URLSearchParams({ "match[]": `zone_seconds_total{user="${USER}"}`, start: String(start), end: String(to) });
  const text = await (await fetch(`${vmUrl}/api/v1/export?${params}`)).text();
  const totals = [0, 0, 0, 0, 0];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const series = JSON.parse(line) as { metric: { zone: string }; values: number[]; timestamps: number[] };
    const newest = new Map<number, { ms: number; value: number }>();
    series.timestamps.forEach((ms, i) => {
      const bucket = Math.ceil(ms / 1000);
      if ((newest.get(bucket)?.ms ?? -Infinity) < ms) newest.set(bucket, { ms, value: series.values[i]! });
    });
    let previous: number | null = null;
    for (const [second, { value }] of [...newest].sort((a, b) => a[0] - b[0])) {
      const rise = previous !== null && value >= previous ? value - previous : value;
      if (second > from && second <= to) totals[ZONES.indexOf(series.metric.zone as (typeof ZONES)[number])]! += rise;
      previous = value;
    }
  }
  return Object.fromEntries(ZONES.map((z, k) => [z, totals[k]!])) as ZoneSeconds;
}
