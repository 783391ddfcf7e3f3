import { afterEach, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRawEntry, ndjsonLines, RawLog, RawLogError, readRawLines, type RawLine } from "./rawlog";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-rawlog-"));
  dirs.push(dir);
  return dir;
};
const DAY1 = new Date("2026-01-01T23:59:59.500Z");
const DAY2 = new Date("2026-01-02T00:00:00.250Z");
const bytes = (text: string) => new TextEncoder().encode(text);

async function readAll(dir: string, file: string, from = 0): Promise<RawLine[]> {
  const lines: RawLine[] = [];
  for await (const line of readRawLines(dir, file, from)) lines.push(line);
  return lines;
}

test("append: one line per entry in the UTC day's file, on disk when it returns, CR/LF in the body as spaces", () => {
  const dir = dataDir();
  const log = new RawLog(dir);
  const first = log.append(bytes('{"a":\r\n1}'), { id: "e1", receivedAt: DAY1, user: "me" });
  const line1 = '{"id":"e1","receivedAt":"2026-01-01T23:59:59.500Z","user":"me","body":{"a":  1}}\n';
  // read by path while the log still holds the file open: what a crash right now would leave
  expect([first, readFileSync(join(dir, "raw", "2026-01-01.ndjson"), "utf8")]).toEqual([{ file: "2026-01-01.ndjson", end: line1.length }, line1]);
  const second = log.append(bytes("[2]"), { id: "e2", receivedAt: DAY1, user: "you", headers: { "automation-name": "hourly" } });
  const line2 = '{"id":"e2","receivedAt":"2026-01-01T23:59:59.500Z","user":"you","headers":{"automation-name":"hourly"},"body":[2]}\n';
  expect(second).toEqual({ file: "2026-01-01.ndjson", end: line1.length + line2.length });
  // the next UTC day starts the next file
  const line3 = '{"id":"e3","receivedAt":"2026-01-02T00:00:00.250Z","user":"me","body":3}\n';
  expect(log.append(bytes("3"), { id: "e3", receivedAt: DAY2, user: "me" })).toEqual({ file: "2026-01-02.ndjson", end: line3.length });
  log.close();
  expect(log.files()).toEqual(["2026-01-01.ndjson", "2026-01-02.ndjson"]);
  // health data: the owner's only
  expect([statSync(join(dir, "raw")).mode & 0o777, statSync(join(dir, "raw", "2026-01-01.ndjson")).mode & 0o777]).toEqual([0o700, 0o600]);
});

test("readRawLines: every entry with the offset after it; from a cursor, only what follows", async () => {
  const dir = dataDir();
  const log = new RawLog(dir);
  const ends = ["1", "2", "3"].map((body, i) => log.append(bytes(body), { id: `e${i + 1}`, receivedAt: DAY1, user: "me" }).end);
  log.close();
  const raw = join(dir, "raw");
  const all = await readAll(raw, "2026-01-01.ndjson");
  expect(all.map((l) => [l.line, l.end, l.entry?.id, l.entry?.body])).toEqual([
    [1, ends[0], "e1", 1],
    [2, ends[1], "e2", 2],
    [3, ends[2], "e3", 3],
  ]);
  // a cursor after the first entry: line numbers count from the cursor, offsets stay absolute
  expect((await readAll(raw, "2026-01-01.ndjson", ends[0])).map((l) => [l.end, l.entry?.id])).toEqual([
    [ends[1], "e2"],
    [ends[2], "e3"],
  ]);
});

test("an entry longer than a read chunk comes back whole", async () => {
  const dir = dataDir();
  const log = new RawLog(dir);
  const samples = Array.from({ length: 20_000 }, (_, i) => ({ ts: 1_767_225_600 + i, bpm: 60 + (i % 100) }));
  const body = JSON.stringify({ type: "heart_rate", samples });
  const { end } = log.append(bytes(body), { id: "big", receivedAt: DAY1, user: "me" });
  log.append(bytes("{}"), { id: "small", receivedAt: DAY1, user: "me" });
  log.close();
  const lines = await readAll(join(dir, "raw"), "2026-01-01.ndjson");
  expect(body.length).toBeGreaterThan(500_000);
  expect(lines.map((l) => [l.end, l.entry?.id])).toEqual([
    [end, "big"],
    [end + '{"id":"small","receivedAt":"2026-01-01T23:59:59.500Z","user":"me","body":{}}\n'.length, "small"],
  ]);
  expect(lines[0]!.entry!.body).toEqual({ type: "heart_rate", samples });
});

test("a torn last line (a crash mid-write) is reported, and the next append starts on a line of its own", async () => {
  const dir = dataDir();
  const log = new RawLog(dir);
  const { end } = log.append(bytes("1"), { id: "e1", receivedAt: DAY1, user: "me" });
  log.close();
  const file = join(dir, "raw", "2026-01-01.ndjson");
  appendFileSync(file, '{"id":"torn","receivedAt":"2026-01-01T23:59:59.500Z","user":"me","bo');
  const raw = join(dir, "raw");
  expect((await readAll(raw, "2026-01-01.ndjson")).map((l) => l.error ?? l.entry!.id)).toEqual(["e1", "incomplete last line (no newline): skipped"]);
  // a restart: the new log closes the torn line before appending
  const after = new RawLog(dir).append(bytes("2"), { id: "e2", receivedAt: DAY1, user: "me" });
  expect(after.end).toBe(statSync(file).size);
  const lines = await readAll(raw, "2026-01-01.ndjson");
  expect(lines.map((l) => [l.line, l.error?.slice(0, 13) ?? l.entry!.id])).toEqual([
    [1, "e1"],
    [2, "invalid JSON:"],
    [3, "e2"],
  ]);
  expect(lines[0]!.end).toBe(end);
});

test("lines that are not entries are reported with why, the others read on", async () => {
  const dir = dataDir();
  const raw = join(dir, "raw");
  new RawLog(dir).close();
  writeFileSync(join(raw, "2026-01-01.ndjson"), '\n{"id":"x"}\nnot json\n{"id":"e1","receivedAt":"2026-01-01T00:00:00.000Z","user":"me","body":null}\n');
  expect((await readAll(raw, "2026-01-01.ndjson")).map((l) => l.error ?? l.entry!.id)).toEqual([
    "empty line",
    "not a raw entry (needs id, receivedAt, user, body)",
    expect.stringMatching(/^invalid JSON:/),
    "e1",
  ]);
});

test("a raw directory that cannot be written: RawLogError naming it, nothing acknowledged", () => {
  const dir = dataDir();
  const log = new RawLog(dir);
  rmSync(join(dir, "raw"), { recursive: true });
  writeFileSync(join(dir, "raw"), "a file where the directory was");
  expect(() => log.append(bytes("1"), { id: "e1", receivedAt: DAY1, user: "me" })).toThrow(RawLogError);
  expect(() => log.append(bytes("1"), { id: "e1", receivedAt: DAY1, user: "me" })).toThrow(`cannot create ${join(dir, "raw")}`);
});

test("ndjsonLines: each line's bytes and offsets, a line over the limit by its place only, a last line without newline", async () => {
  const dir = dataDir();
  const path = join(dir, "x.ndjson");
  // 6 + 1, 0 + 1, 12 + 1 (over a 10-byte limit), then 4 bytes and no newline
  writeFileSync(path, '{"a":1}\n\n{"b":"xxxxx"}\n{"c"');
  const lines = [];
  for await (const { bytes, ...line } of ndjsonLines(path, 0, 10)) lines.push({ ...line, text: bytes && new TextDecoder().decode(bytes) });
  expect(lines).toEqual([
    { line: 1, start: 0, end: 8, complete: true, text: '{"a":1}' },
    { line: 2, start: 8, end: 9, complete: true, text: "" },
    { line: 3, start: 9, end: 23, complete: true, text: null },
    { line: 4, start: 23, end: 27, complete: false, text: '{"c"' },
  ]);
  // the raw log's reader on the same lines: a raw entry needs id, receivedAt, user and body
  const at = "2026-01-01T00:00:00.000Z";
  const candidates = ["e", { id: "1", receivedAt: at, user: "me", body: 1 }, { id: 1, receivedAt: at, user: "me", body: 1 }, { id: "1", receivedAt: at, user: "me" }, { id: "1", user: "me", body: 1 }];
  expect(candidates.map(isRawEntry)).toEqual([false, true, false, false, false]);
});
