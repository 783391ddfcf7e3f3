// `bun run src/main.ts summarize …` as a child process: exit codes, the JSON totals, the PNGs.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;
const MAIN = join(ROOT, "src/main.ts");
const T0 = 1767258000; // 2026-01-01T09:00:00Z = 10:00:00 +0100
const roots: string[] = [];
afterAll(() => roots.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-summarize-e2e-"));
  roots.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function run(args: string[], cwd = ROOT) {
  // no AUTH_TOKEN or SECRET_PATH: summarize must not need them
  const proc = Bun.spawn(["bun", "run", MAIN, "summarize", ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", HR_MAX: "200" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}

const HAND_MADE = {
  // fixture: 130 bpm (z2), 150 (z3), 100 (z1), 170 (z4); sorted intervals 5, 5, 20, 5
  "a.json": JSON.stringify({ type: "heart_rate", samples: [[0, 130], [5, 130], [10, 150], [30, 100], [35, 170]].map(([dt, bpm]) => ({ ts: T0 + dt!, bpm })) }),
  // HAE: 185 bpm (z5) at 10:00:00 and 10:00:05 +0100, a second reading at 10:00:05 (190), one step_count point
  "b.json": JSON.stringify({
    data: {
      metrics: [
        { name: "heart_rate", units: "count/min", data: [["10:00:00", 185], ["10:00:05", 185], ["10:00:05", 190]].map(([t, bpm]) => ({ date: `2026-01-01 ${t} +0100`, Min: bpm, Avg: bpm, Max: bpm, source: "Watch" })) },
        { name: "step_count", units: "count", data: [{ date: "2026-01-01 10:00:00 +0100", qty: 40, source: "iPhone" }] },
      ],
    },
  }),
  "c.json": "not json",
};

test("the JSON report's totals match the numbers worked out by hand", async () => {
  const { stdout, code } = await run([folder(HAND_MADE), "--json"]);
  expect(code).toBe(0);
  const report = JSON.parse(stdout);
  expect(report.files.map((f: { path: string; status: string }) => `${f.path} ${f.status}`)).toEqual(["a.json ok", "b.json ok", "c.json unreadable"]);
  const { total } = report;
  expect({ entries: total.entries, shapes: total.shapes, strict: total.strict, metrics: total.records.metrics, time: total.time, heartRate: total.heartRate }).toEqual({
    entries: 3,
    shapes: { hae: 1, fixture: 1, unknown: 1 },
    strict: { accepted: 2, rejected: 1, skipped: 0 },
    metrics: {
      // a: 5 points, intervals 5,5,20,5 in file order; b: 3 points, one positive interval (5) → [5,5,5,5,20] → 5
      heart_rate: { points: 8, units: ["count/min"], firstUtc: "2026-01-01T09:00:00Z", lastUtc: "2026-01-01T09:00:35Z", medianIntervalS: 5 },
      step_count: { points: 1, units: ["count"], firstUtc: "2026-01-01T09:00:00Z", lastUtc: "2026-01-01T09:00:00Z", medianIntervalS: null },
    },
    time: {
      firstUtc: "2026-01-01T09:00:00Z",
      lastUtc: "2026-01-01T09:00:35Z",
      offset: "+01:00",
      firstLocal: "2026-01-01 10:00:00 +01:00",
      lastLocal: "2026-01-01 10:00:35 +01:00",
      offsets: { "+01:00": 4 }, // b's three heart-rate dates and its step_count date
    },
    heartRate: {
      samples: 8,
      credited: 7, // b's two readings at 10:00:05 share a source: the later (190) replaces 185
      minBpm: 100,
      maxBpm: 190,
      firstUtc: "2026-01-01T09:00:00Z",
      lastUtc: "2026-01-01T09:00:35Z",
      medianIntervalS: 5,
      // a: +5 s 130 → z2 5; +10 s 150 → z3 5; +30 s 100 → z1 min(20, 10) = 10; +35 s 170 → z4 5
      // b: +5 s 190 → z5 5 (the first reading of each file earns nothing)
      zoneSeconds: { z1: 10, z2: 5, z3: 5, z4: 5, z5: 5 },
      creditedSeconds: 30,
    },
  });
  expect(total.anomalies.gaps).toEqual({ count: 1, longestS: 20, longestFromUtc: "2026-01-01T09:00:10Z" });
  expect(total.anomalies.duplicateTimestamps).toEqual({ count: 1, first: "2026-01-01T09:00:05Z" });
  // the streamed reader's refusal, as the hook gives it for a big body
  expect(total.problems).toEqual([{ at: "c.json", message: 'body is not valid JSON: JSON Parse error: Unexpected identifier "not"' }]);
}, 30_000);

test("exit codes: 0 when anything was read, 1 when nothing could be, 2 when DIR does not exist", async () => {
  const ok = await run(["data_samples"]);
  expect([ok.code, ok.stdout]).toEqual([0, expect.stringContaining("TOTAL")]);
  const nothing = await run([folder({ "x.json": "<html>502</html>", "y.ndjson": "oops\n" })]);
  expect([nothing.code, nothing.stderr]).toEqual([1, expect.stringContaining("nothing could be read")]);
  const emptyDir = folder({ "notes.txt": "hello" });
  const empty = await run([emptyDir]);
  expect([empty.code, empty.stderr]).toEqual([1, `fitstack summarize: no .json, .ndjson or .jsonl files in ${emptyDir} (skipped 1: notes.txt)\n`]);
  const missing = await run(["/nonexistent/fitstack-summarize"]);
  expect([missing.code, missing.stdout, missing.stderr]).toEqual([2, "", "fitstack summarize: /nonexistent/fitstack-summarize: no such file or directory\n"]);
  expect((await run(["--bogus"])).code).toBe(2);
}, 30_000);

/** Width and height from IHDR, which must follow the PNG signature. */
function pngSize(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const signature = [...bytes.subarray(0, 8)].join(",");
  return { signature, chunk: new TextDecoder().decode(bytes.subarray(12, 16)), width: view.getUint32(16), height: view.getUint32(20) };
}

test("--plots writes one heart-rate PNG per file with heart rate and a zone chart, of the stated sizes", async () => {
  const dir = folder(HAND_MADE);
  const out = join(dir, "plots");
  const { code, stdout } = await run([dir, "--plots", out]);
  expect(code).toBe(0);
  expect(stdout).toContain(`plots: ${join(out, "a.json.heart-rate.png")}`);
  const signature = "137,80,78,71,13,10,26,10";
  for (const name of ["a.json.heart-rate.png", "b.json.heart-rate.png"]) {
    expect(pngSize(readFileSync(join(out, name)))).toEqual({ signature, chunk: "IHDR", width: 1200, height: 600 });
  }
  expect(pngSize(readFileSync(join(out, "zones.png")))).toEqual({ signature, chunk: "IHDR", width: 800, height: 400 });
  expect(existsSync(join(out, "c.json.heart-rate.png"))).toBe(false);
}, 30_000);

test("one FILE instead of DIR; --plots without a value writes to out/ in the working directory", async () => {
  const dir = folder(HAND_MADE);
  const { code } = await run([join(dir, "a.json"), "--plots"], dir);
  expect(code).toBe(0);
  expect(["a.json.heart-rate.png", "zones.png"].map((name) => existsSync(join(dir, "out", name)))).toEqual([true, true]);
}, 30_000);

test("files it does not read are listed as skipped, with the reason, in the text and the JSON", async () => {
  const dir = folder({ "a.json": HAND_MADE["a.json"], "notes.txt": "hello", "old/export.csv": "a,b\n" });
  const text = await run([dir]);
  expect([text.code, text.stdout]).toEqual([0, expect.stringContaining("▸ skipped 2 files (not read)\n    notes.txt: not .json, .ndjson or .jsonl\n    old/export.csv: not .json, .ndjson or .jsonl\n")]);
  const json = await run([dir, "--json"]);
  expect(JSON.parse(json.stdout).skipped).toEqual([
    { path: "notes.txt", reason: "not .json, .ndjson or .jsonl" },
    { path: "old/export.csv", reason: "not .json, .ndjson or .jsonl" },
  ]);
}, 30_000);

test("summarize --json data_samples is the version-1 report, field for field (tests/fixtures/summarize/data_samples.v1.json)", async () => {
  // The expectation is the report of summarize before it read by the hook's reader (commit aedcf5d^), with two kinds
  // of change only: anomalies.outOfBounds added, and a problem's message the webhook's own refusal of the document.
  const expected = JSON.parse(readFileSync(join(ROOT, "tests/fixtures/summarize/data_samples.v1.json"), "utf8"));
  const { stdout, code } = await run(["data_samples", "--json"]);
  expect(code).toBe(0);
  const { now, ...report } = JSON.parse(stdout);
  expect(now).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  expect(report).toEqual(expected);
}, 30_000);
