import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ZoneProfile } from "../transform/zones";
import { summarize } from "./summarize";
import { renderText } from "./text";

const profile: ZoneProfile = { mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] };
const T0 = 1767258000; // 2026-01-01T09:00:00Z
const NOW = T0 + 86400;
const roots: string[] = [];
afterAll(() => roots.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-summarize-"));
  roots.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const fixture = (samples: [number, number][]) => JSON.stringify({ type: "heart_rate", samples: samples.map(([ts, bpm]) => ({ ts, bpm })) });
const hae = (points: object[], name = "heart_rate") => JSON.stringify({ data: { metrics: [{ name, units: "count/min", data: points }] } });
const hr = (date: string, bpm: number) => ({ date, Min: bpm, Avg: bpm, Max: bpm, source: "Watch" });

async function anomaliesOf(text: string, name = "f.json") {
  const { report } = await summarize({ dir: folder({ [name]: text }), profile, now: NOW });
  return report.files[0]!.anomalies;
}

test("each anomaly class is found on a tiny file", async () => {
  const gaps = await anomaliesOf(fixture([[T0, 100], [T0 + 5, 100], [T0 + 65, 100]]));
  expect(gaps.gaps).toEqual({ count: 1, longestS: 60, longestFromUtc: "2026-01-01T09:00:05Z" });

  const dup = await anomaliesOf(fixture([[T0, 100], [T0 + 5, 100], [T0 + 5, 101], [T0 + 3, 100]]));
  expect(dup.duplicateTimestamps).toEqual({ count: 1, first: "2026-01-01T09:00:05Z" });
  expect(dup.nonIncreasingTimestamps).toEqual({ count: 2, first: `samples[2]: ${T0 + 5} after ${T0 + 5}` });

  const bpm = await anomaliesOf(fixture([[T0, 24], [T0 + 5, 25], [T0 + 10, 250], [T0 + 15, 251]]));
  expect(bpm.bpmOutOfRange).toEqual({ count: 2, first: "samples[0]: 24 bpm" });

  const ms = await anomaliesOf(fixture([[T0 * 1000, 100], [T0, 100]]));
  expect(ms.millisecondTimestamps).toEqual({ count: 1, first: `samples[0]: ${T0 * 1000}` });

  const future = await anomaliesOf(hae([hr("2026-01-02 10:00:01 +0100", 90)]));
  expect(future.futureTimestamps).toEqual({ count: 1, first: 'data.metrics[0].data[0]: "2026-01-02 10:00:01 +0100"' });

  const mixed = await anomaliesOf(hae([hr("2026-01-01 10:00:00 +0100", 90), hr("2026-01-01 04:00:05 -0500", 90)]));
  expect(mixed.mixedOffsets).toEqual({ count: 2, offsets: ["-05:00", "+01:00"] });
  expect(mixed.gaps.count).toBe(0); // the same instant written in two zones is 5 s later, not 6 h

  const unknown = await anomaliesOf(hae([{ date: "2026-01-01 10:00:00 +0100", qty: 1, colour: "red" }], "hr_zones"));
  expect([unknown.unknownMetrics, unknown.unexpectedKeys]).toEqual([
    { count: 1, names: { hr_zones: 1 } },
    { count: 1, keys: { "data.metrics[].data[].colour": 1 } },
  ]);

  // the normalizer's bounds (normalize/bounds.ts): a gauge beyond ±1e9 and a 1e6 km run are dropped, and said so
  const bounds = await anomaliesOf(
    JSON.stringify({
      data: {
        metrics: [{ name: "step_count", units: "count", data: [{ date: "2026-01-01 10:00:00 +0100", qty: 2e9 }] }],
        workouts: [{ name: "Run", start: "2026-01-01 10:00:00 +0100", end: "2026-01-01 10:30:00 +0100", distance: { qty: 1e6, units: "km" } }],
      },
    }),
  );
  expect(bounds.outOfBounds).toEqual({ count: 2, reasons: { distance_out_of_range: 1, gauge_out_of_range: 1 } });
});

test("a broken file is reported and the run goes on with the others", async () => {
  const dir = folder({
    "a-not-json.json": "<html>502</html>",
    "b-truncated.json": hae([hr("2026-01-01 10:00:00 +0100", 90), hr("2026-01-01 10:00:05 +0100", 90)]).slice(0, -40),
    "c-good.json": fixture([[T0, 130], [T0 + 5, 130]]),
    "raw/2026-01-01.ndjson": `{"id":"1","receivedAt":"2026-01-01T09:00:10Z","user":"me","body":${fixture([[T0, 150], [T0 + 5, 150]])}}\nnot json\n{"id":"2","body":{"samples":[{"ts":`,
  });
  const { report, readable } = await summarize({ dir, profile, now: NOW });
  expect(report.files.map((f) => [f.path, f.status, f.problemCount])).toEqual([
    ["a-not-json.json", "unreadable", 1],
    ["b-truncated.json", "partial", 1],
    ["c-good.json", "ok", 0],
    ["raw/2026-01-01.ndjson", "partial", 2],
  ]);
  expect(readable).toBe(3);
  // truncated: the first point is read before the cut; the raw log: line 1 is read, 2 and 3 are not
  expect(report.files[1]!.heartRate?.samples).toBe(1);
  expect(report.files[3]!.problems.map((p) => p.at)).toEqual(["line 2", "line 3"]);
  expect(report.total.heartRate?.zoneSeconds).toEqual({ z1: 0, z2: 5, z3: 5, z4: 0, z5: 0 });
});

test("read a byte at a time in one-point pieces, a file is summarized the same as in one piece, bad points and cut included", async () => {
  const points = Array.from({ length: 30 }, (_, i) => hr(`2026-01-01 10:00:${String(i * 2).padStart(2, "0")} +0100`, 100 + i * 3));
  const bad = { date: "2026-01-01 10:01:00 +0100" }; // no Avg: left out, as the webhook names it
  const files = {
    "a.json": hae([...points.slice(0, 10), bad, ...points.slice(10)]),
    "b.json": hae(points).slice(0, -200), // cut inside point 28
    "c.ndjson": `${fixture([[T0, 130], [T0 + 5, 150]])}
${hae(points)}
`,
  };
  const whole = await summarize({ dir: folder(files), profile, now: NOW });
  const pieces = await summarize({ dir: folder(files), profile, now: NOW, sizes: { pieceBytes: 1, windowBytes: 7 } });
  expect({ ...pieces.report, dir: "" }).toEqual({ ...whole.report, dir: "" });
  // a: 31 points, one refused; b: the 27 whole points before the cut; c: 2 + 30
  expect(whole.report.files.map((f) => [f.status, f.heartRate?.samples, f.anomalies.unreadablePoints.count])).toEqual([
    ["partial", 30, 1],
    ["partial", 27, 0],
    ["ok", 32, 0],
  ]);
});

test("a document of any size is checked by the webhook's reader (strict.skipped stays 0, once for what was too big to hold)", async () => {
  // 55 k points of ~84 bytes: 4.6 MB, over the 4 Mi characters the old scanner held for its strict check
  const points = Array.from({ length: 55_000 }, (_, i) => ({ ...hr("2026-01-01 10:00:00 +0100", 100), date: new Date((T0 + i + 3600) * 1000).toISOString().replace("T", " ").replace(".000Z", " +0100") }));
  const file = (await summarize({ dir: folder({ "big.json": hae(points) }), profile, now: NOW })).report.files[0]!;
  expect(file.bytes).toBeGreaterThan(4 * 1024 * 1024);
  expect([file.strict, file.heartRate?.samples, file.records.metrics.heart_rate!.points]).toEqual([{ accepted: 1, rejected: 0, skipped: 0 }, 55_000, 55_000]);
});

test("records as written: a metric's points and units, a sleep metric's entries at the date each stands for, the members by path", async () => {
  const text = JSON.stringify({
    data: {
      metrics: [
        { name: "walking_running_distance", units: "mi", data: [{ date: "2026-01-01 10:00:00 +0100", qty: 1.5, source: "Phone" }] },
        {
          name: "sleep_analysis",
          units: "hr",
          data: [
            // a point stands for its date, else its start: the first segment's bare day is no instant, the second
            // segment stands for its start, the night for its date
            { startDate: "2026-01-01 00:00:00 +0100", endDate: "2026-01-01 01:00:00 +0100", value: "Core", date: "2026-01-01" },
            { startDate: "2026-01-01 01:00:00 +0100", endDate: "2026-01-01 02:00:00 +0100", value: "Deep" },
            { date: "2026-01-01 07:00:00 +0100", asleep: 6, sleepStart: "2026-01-01 00:00:00 +0100", sleepEnd: "2026-01-01 07:00:00 +0100", mood: "fine" },
          ],
        },
      ],
    },
  });
  const file = (await summarize({ dir: folder({ "x.json": text }), profile, now: NOW })).report.files[0]!;
  expect(file.records.metrics).toEqual({
    // stored as km by the hook; summarize says what the file holds
    walking_running_distance: { points: 1, units: ["mi"], firstUtc: "2026-01-01T09:00:00Z", lastUtc: "2026-01-01T09:00:00Z", medianIntervalS: null },
    // three entries (the hook makes two nights of them), at 00:00Z and 06:00Z
    sleep_analysis: { points: 3, units: ["hr"], firstUtc: "2026-01-01T00:00:00Z", lastUtc: "2026-01-01T06:00:00Z", medianIntervalS: 21600 },
  });
  // 1 + 2 dates counted, all +01:00; from 00:00Z to the distance's 09:00Z
  expect(file.time).toMatchObject({ firstUtc: "2026-01-01T00:00:00Z", lastUtc: "2026-01-01T09:00:00Z", offsets: { "+01:00": 3 } });
  expect([file.keys["data.metrics[].data[].startDate"], file.keys["data.metrics[].units"], file.anomalies.unexpectedKeys]).toEqual([2, 2, { count: 1, keys: { "data.metrics[].data[].mood": 1 } }]);
});

test("a file the webhook rejects is still summarized leniently, with the webhook's error", async () => {
  // Avg missing on one point: the webhook answers 422; summarize counts the other point
  const file = (await summarize({ dir: folder({ "x.json": hae([hr("2026-01-01 10:00:00 +0100", 90), { date: "2026-01-01 10:00:05 +0100" }]) }), profile, now: NOW })).report.files[0]!;
  expect([file.status, file.strict, file.heartRate?.samples, file.anomalies.unreadablePoints.count]).toEqual(["partial", { accepted: 0, rejected: 1, skipped: 0 }, 1, 1]);
  expect(file.problems[0]!.message).toStartWith("rejected by the webhook: data.metrics[0].data[1] has neither Avg nor qty");
});

test("each reading carries its sender: a fixture's source (even after its samples), a raw entry's body, an HAE point's", async () => {
  const lines = [
    // source after the samples: still "Watch"
    `{"samples":[{"ts":${T0 + 5},"bpm":150},{"ts":${T0 + 10},"bpm":110}],"type":"heart_rate","source":"Watch"}`,
    JSON.stringify({ id: "2", receivedAt: "2026-01-01T09:00:20Z", user: "me", body: JSON.parse(fixture([[T0 + 5, 130], [T0 + 10, 170]])) }).replace('"type"', '"source":"Polar","device":"H10","type"'),
    hae([{ ...hr("2026-01-01 10:00:00 +0100", 100), source: "Zepp" }, { ...hr("2026-01-01 10:00:05 +0100", 190), source: "Zepp" }]),
  ];
  const { report } = await summarize({ dir: folder({ "f.ndjson": lines.join("\n") }), profile, now: NOW });
  // +0: Zepp 100 (first, 0 s); +5: "Polar" < "Watch" < "Zepp" → 130 z2 5 s; +10: Polar 170 z4 5 s.
  // A lost sender would read as "" and win instead: Watch's 150/110 or Zepp's 190.
  expect([report.total.strict, report.total.heartRate?.credited, report.total.heartRate?.zoneSeconds]).toEqual([
    { accepted: 3, rejected: 0, skipped: 0 },
    3,
    { z1: 0, z2: 5, z3: 0, z4: 5, z5: 0 },
  ]);
});

test("a workout's recovery series (HAE bug #60) is not counted, as the hook does not count it", async () => {
  const { readFileSync } = await import("node:fs");
  const { Ledger } = await import("../ledger/ledger");
  const { normalizePayload } = await import("../normalize/index");
  const { sumZones, zoneBoundsBpm } = await import("../transform/zones");
  const text = readFileSync(new URL("../../fixtures/hae/workouts-v2.json", import.meta.url), "utf8");
  const { report } = await summarize({ dir: folder({ "w.json": text }), profile, now: 1_900_000_000 });
  // the hook's own numbers for the same file: normalise, merge, sum the ledger's credits
  const ledger = new Ledger(":memory:");
  ledger.ingest("me", normalizePayload(JSON.parse(text)).heartRate, zoneBoundsBpm(profile));
  expect(report.total.heartRate.zoneSeconds).toEqual(sumZones(ledger.zoneRewrite("me", 0).credits));
  expect(report.total.records.sections["workouts.heartRateData:recovery"]).toBe(1);
});

test("files it does not read are listed as skipped with the reason, in the report and in the text", async () => {
  const dir = folder({ "a.json": fixture([[T0, 130], [T0 + 5, 130]]), "notes.txt": "hello", "sub/export.csv": "a,b\n", "sub/b.JSONL": "" });
  symlinkSync(join(dir, "a.json"), join(dir, "link.json"));
  const { report } = await summarize({ dir, profile, now: NOW });
  expect([report.files.map((f) => f.path), report.skipped]).toEqual([
    ["a.json", "sub/b.JSONL"],
    [
      { path: "link.json", reason: "a symbolic link (not followed)" },
      { path: "notes.txt", reason: "not .json, .ndjson or .jsonl" },
      { path: "sub/export.csv", reason: "not .json, .ndjson or .jsonl" },
    ],
  ]);
  expect(renderText(report)).toContain(
    "▸ skipped 3 files (not read)\n    link.json: a symbolic link (not followed)\n    notes.txt: not .json, .ndjson or .jsonl\n    sub/export.csv: not .json, .ndjson or .jsonl\n",
  );
});

test("what the old scanner held to, through the reader: a byte-order mark, deep nesting, a huge string, data after the value, an empty file", async () => {
  const deep = `{"data":{"ecg":${"[".repeat(70)}${"]".repeat(70)}}}`;
  const huge = hae([{ ...hr("2026-01-01 10:00:00 +0100", 130), source: "W".repeat(3 << 20) }, hr("2026-01-01 10:00:05 +0100", 130)]);
  const bom = `\ufeff${fixture([[T0, 130], [T0 + 5, 130]])}`;
  const files = { "bom.json": bom, "bom.ndjson": bom, "deep.json": deep, "huge.json": huge, "trailing.json": `${fixture([[T0, 100]])} x`, "empty.json": "" };
  const { report } = await summarize({ dir: folder(files), profile, now: NOW, sizes: { windowBytes: 64 << 10 } });
  expect(report.files.map((f) => [f.path, f.status, f.heartRate?.samples ?? 0, f.problems.map((p) => p.message)])).toEqual([
    // a byte-order mark before the JSON is skipped, as the hook skips it
    ["bom.json", "ok", 2, []],
    ["bom.ndjson", "ok", 2, []],
    ["deep.json", "unreadable", 0, ["body is nested deeper than 64 levels of arrays and objects"]],
    ["empty.json", "unreadable", 0, ["empty file: no JSON value"]],
    // the 3 MiB source crosses 48 reading windows: both points are read, and they share that source
    ["huge.json", "ok", 2, []],
    // the fixture is 61 bytes, a space, then "x" at byte 62: the hook refuses the whole body
    ["trailing.json", "unreadable", 0, ["body is not valid JSON: unexpected data after the body at byte 62"]],
  ]);
});
