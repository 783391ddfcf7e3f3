import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HttpError } from "../errors";
import { normalizePayload } from "./index";
import type { Normalized } from "./model";
import type { Observer } from "./observe";
import { FileSource, MAX_ITEM_BYTES, memorySource, normalizedPieces, rawEntryFields, warmUp, type ByteSource, type PieceSizes } from "./stream";

const REALCASES = join(import.meta.dir, "../../../shared/realcases/hae");

/** The pieces summed into one Normalized, as the pipeline merges them. */
function joined(pieces: Iterable<Normalized | null>): Normalized {
  const out: Normalized = { shape: "hae", heartRate: [], gauges: [], sleep: [], workouts: [], ignored: {} };
  let first = true;
  for (const piece of pieces) {
    if (!piece) continue;
    if (first) out.shape = piece.shape;
    first = false;
    out.heartRate.push(...piece.heartRate);
    out.gauges.push(...piece.gauges);
    out.sleep.push(...piece.sleep);
    out.workouts.push(...piece.workouts);
    for (const [key, n] of Object.entries(piece.ignored)) out.ignored[key] = (out.ignored[key] ?? 0) + n;
    for (const [key, n] of Object.entries(piece.invalid ?? {})) (out.invalid ??= {})[key] = (out.invalid[key] ?? 0) + n;
  }
  return out;
}

const whole = (text: string) => {
  const n = normalizePayload(JSON.parse(text));
  return { ...n, invalid: n.invalid && Object.keys(n.invalid).length ? n.invalid : undefined };
};

/** Tiny pieces and windows, so every boundary falls inside some value; then the defaults. */
const SIZES: PieceSizes[] = [{ pieceBytes: 1, windowBytes: 7 }, { pieceBytes: 300, windowBytes: 64 }, {}];

function sources(text: string, dir: string): ByteSource[] {
  const bytes = new TextEncoder().encode(text);
  const path = join(dir, `body-${Math.random()}.json`);
  // the file holds the body between other bytes: a FileSource reads only its range
  writeFileSync(path, Buffer.concat([Buffer.from("xx\n"), bytes, Buffer.from("\nyy")]));
  return [memorySource(bytes), new FileSource(path, 3, 3 + bytes.length)];
}

function caught(run: () => unknown): HttpError {
  try {
    run();
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error("no error");
}

const point = (ts: number, bpm: number, source = "Ana’s Apple Watch") =>
  ({ date: new Date(ts * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " +0000"), Avg: bpm, Min: bpm - 1, Max: bpm + 1, source });

const BODIES: Record<string, unknown> = {
  "heart rate, gauges, workouts, unknown keys": {
    data: {
      metrics: [
        { name: "heart_rate", units: "count/min", data: Array.from({ length: 40 }, (_, i) => point(1_700_000_000 + 60 * i, 60 + i)) },
        { data: [{ date: "2024-03-01 07:00:00 +0100", qty: 54, source: "Watch 🙂 \"quoted\" \\ back" }], units: "count/min", name: "resting_heart_rate" },
        { name: "blood_pressure", units: "mmHg", data: [{ date: "2024-03-01 07:00:00 +0100", systolic: 120, diastolic: 80 }] },
        { name: "mystery", data: [{ date: "2024-03-01 07:00:00 +0100" }] },
      ],
      workouts: [
        {
          id: "w1",
          name: "Run",
          start: "2024-03-01 07:00:00 +0100",
          end: "2024-03-01 07:30:00 +0100",
          distance: { qty: 5, units: "km" },
          heartRateData: [point(1_709_272_800, 140), point(1_709_272_860, 150)],
        },
        { name: "Walk", start: "2024-03-02 07:00:00 +0100", end: "2024-03-02 07:10:00 +0100", distance: { qty: 1e306, units: "km" } },
      ],
      stateOfMind: [{ a: 1 }, { b: [1, 2, { c: null }] }],
      ecg: { big: true },
      "__proto__": [1, 2, 3],
    },
  },
  "per-segment sleep split across pieces stays one night": {
    data: {
      metrics: [
        {
          name: "sleep_analysis",
          units: "hr",
          data: Array.from({ length: 30 }, (_, i) => ({
            startDate: new Date((1_709_251_200 + 600 * i) * 1000).toISOString().replace("T", " ").replace(".000Z", " +0000"),
            endDate: new Date((1_709_251_200 + 600 * (i + 1)) * 1000).toISOString().replace("T", " ").replace(".000Z", " +0000"),
            value: ["Core", "Deep", "REM"][i % 3],
            source: "Watch",
          })),
        },
      ],
    },
  },
  "duplicate keys: the last value counts": {
    data: { metrics: [{ name: "heart_rate", data: [point(1_700_000_000, 70)], name2: 1 }], workouts: [], metrics2: 1 },
    ignored: 1,
  },
  "empty data": { data: {} },
  "empty arrays": { data: { metrics: [{ name: "heart_rate", units: "count/min", data: [] }], workouts: [] } },
  "fixture shape": { type: "heart_rate", samples: Array.from({ length: 25 }, (_, i) => ({ ts: 1_700_000_000 + i, bpm: 60 + i })), source: "Polar", device: "H10" },
};

describe("normalizedPieces gives what normalizing the whole body gives", () => {
  const dir = mkdtempSync(join(tmpdir(), "stream-test-"));
  for (const [name, body] of Object.entries(BODIES)) {
    test(name, () => {
      const text = JSON.stringify(body, null, name.startsWith("per-segment") ? 2 : undefined);
      for (const sizes of SIZES) for (const src of sources(text, dir)) expect(joined(normalizedPieces(src, sizes))).toEqual(whole(text));
    });
  }

  test("duplicate keys, written by hand: the last value counts and the earlier ones are still checked", () => {
    const text = `{"data":{"metrics":[{"name":"x","data":[],"name":"heart_rate","data":[${JSON.stringify(point(1_700_000_000, 71))}]}],"metrics":[{"name":"heart_rate","data":[${JSON.stringify(point(1_700_000_060, 72))}]}]}}`;
    for (const sizes of SIZES) expect(joined(normalizedPieces(memorySource(new TextEncoder().encode(text)), sizes))).toEqual(whole(text));
    const bad = `{"data":{"metrics":[tru],"metrics":[]}}`;
    expect(caught(() => [...normalizedPieces(memorySource(new TextEncoder().encode(bad)))]).code).toBe("invalid_json");
  });

  test.skipIf(!existsSync(REALCASES))("every real HAE export in ../shared/realcases/hae", () => {
    const files = readdirSync(REALCASES).filter((f) => f.endsWith(".json") && f !== "manifest.json");
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const text = readFileSync(join(REALCASES, file), "utf8");
      for (const sizes of [{ pieceBytes: 4096, windowBytes: 1000 }, {}]) {
        for (const src of sources(text, dir)) expect(joined(normalizedPieces(src, sizes))).toEqual(whole(text));
      }
    }
  });

  test("a big body is cut into pieces, each far smaller than the body", () => {
    const text = JSON.stringify({ data: { metrics: [{ name: "heart_rate", units: "count/min", data: Array.from({ length: 5000 }, (_, i) => point(1_700_000_000 + 60 * i, 70)) }] } });
    const pieces = [...normalizedPieces(memorySource(new TextEncoder().encode(text)), { pieceBytes: 20_000 })];
    expect(pieces.length).toBeGreaterThan(15);
    expect(Math.max(...pieces.map((p) => p?.heartRate.length ?? 0))).toBeLessThan(300);
    expect(pieces.reduce((n, p) => n + (p?.heartRate.length ?? 0), 0)).toBe(5000);
    // while planning it yields a pause (null) after each piece it finds
    expect(pieces.filter((p) => p === null).length).toBeGreaterThan(15);
  });

  test.afterAll?.(() => rmSync(dir, { recursive: true, force: true }));
});

describe("bad bodies: the same refusal as for the whole body", () => {
  const encode = (text: string) => memorySource(new TextEncoder().encode(text));
  const run = (src: ByteSource, sizes: PieceSizes = { pieceBytes: 50, windowBytes: 16 }) => caught(() => [...normalizedPieces(src, sizes)]);

  test.each([
    ["unterminated string", '{"data":{"metrics":[{"name":"heart_rate","data":[{"date":"2024'],
    ["missing comma", '{"data":{"metrics":[{"name":"a" "data":[]}]}}'],
    ["bad literal in a piece", '{"data":{"metrics":[{"name":"heart_rate","data":[{"date":"2024-03-01 07:00:00 +0100","Avg":tru}]}]}}'],
    ["mismatched brackets", '{"data":{"metrics":[{"name":"heart_rate","data":[{"x":1]]}]}}'],
    ["trailing data", '{"data":{}} {}'],
    ["trailing comma", '{"data":{"workouts":[{"a":1},]}}'],
    ["empty", "   "],
  ])("%s → 400 invalid_json", (_, text) => {
    const error = run(encode(text));
    expect([error.status, error.code]).toEqual([400, "invalid_json"]);
    expect(() => JSON.parse(text)).toThrow();
  });

  test("invalid UTF-8 inside a string → 400", () => {
    const bytes = new TextEncoder().encode('{"data":{"metrics":[{"name":"heart_rate","data":[{"date":"2024-03-01 07:00:00 +0100","Avg":60,"source":"XY"}]}]}}');
    bytes[bytes.indexOf(88)] = 0xff; // the X of XY
    const error = run(memorySource(bytes));
    expect([error.status, error.code, error.message]).toEqual([400, "invalid_json", "body is not valid JSON: not valid UTF-8"]);
  });

  test("nesting deeper than 64 → 400 too_deep, at any place, without overflowing", () => {
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    // 64 levels in all (body, data, 62 arrays): accepted, as checkNesting accepts the parsed body
    expect(joined(normalizedPieces(encode(`{"data":{"stateOfMind":${deep(62)}}}`))).ignored).toEqual({ stateOfMind: 1 });
    for (const text of [`{"data":{"stateOfMind":${deep(63)}}}`, `{"data":{"metrics":[{"name":"heart_rate","data":[{"date":${deep(1_000_000)}}]}]}}`, `{"a":${deep(100)}}`]) {
      expect(run(encode(text)).code).toBe("too_deep");
    }
  });

  test("a bad point, workout or sample is named where it sits in the whole body", () => {
    const points = Array.from({ length: 300 }, (_, i) => point(1_700_000_000 + 60 * i, 70)) as Record<string, unknown>[];
    points[237] = { ...points[237], date: "2024-13-45 25:00:00 +0000" };
    const workouts = Array.from({ length: 80 }, (_, i) => ({ name: "Run", start: "2024-03-01 07:00:00 +0100", end: "2024-03-01 07:30:00 +0100", id: `w${i}` })) as Record<string, unknown>[];
    workouts[57] = { ...workouts[57], end: "2024-03-01 06:00:00 +0100" };
    const cases = [
      { data: { metrics: [{ name: "step_count", data: [] }, { name: "heart_rate", units: "count/min", data: points }] } },
      { data: { metrics: [{ name: "heart_rate", data: [] }], workouts } },
      { data: { metrics: [{ name: "heart_rate", data: [] }, { name: "resting_heart_rate", data: [{ date: "2024-03-01 07:00:00 +0100", qty: 1, source: 5 }] }] } },
      { data: { metrics: [{ name: "heart_rate", data: [] }, "not a metric"] } },
      // the message names the point, the field one of its keys
      { data: { metrics: [{ name: "heart_rate", data: points.map((p, i) => (i === 291 ? { date: p.date } : i === 237 ? points[0] : p)) }] } },
      { type: "heart_rate", samples: [...Array.from({ length: 999 }, (_, i) => ({ ts: i, bpm: 60 })), { ts: 1, bpm: "sixty" }] },
    ];
    for (const body of cases) {
      const text = JSON.stringify(body);
      const expected = caught(() => normalizePayload(JSON.parse(text)));
      expect(expected.status).toBe(422);
      for (const sizes of SIZES) {
        const error = run(encode(text), sizes);
        expect({ status: error.status, field: error.field, message: error.message }).toEqual({ status: 422, field: expected.field, message: expected.message });
      }
    }
  });

  test("one item bigger than the item limit: 413 item_too_large, whatever it is", () => {
    const sizes = { pieceBytes: 100, maxItemBytes: 2000 };
    const big = "x".repeat(3000);
    for (const body of [
      { data: { workouts: [{ name: "Run", note: big }] } },
      { data: { metrics: [{ name: "heart_rate", data: [{ date: big }] }] } },
      { data: { metrics: [{ name: big, data: [] }] } },
      { data: { metrics: [{ name: "sleep_analysis", data: Array.from({ length: 100 }, () => ({ startDate: "2024-03-01 07:00:00 +0100", endDate: "2024-03-01 07:10:00 +0100", value: "Core" })) }] } },
      { type: "heart_rate", source: big, samples: [] },
    ]) {
      const error = run(encode(JSON.stringify(body)), sizes);
      expect([error.status, error.code]).toEqual([413, "item_too_large"]);
    }
    // the same sizes take a body of many small items
    const many = { data: { metrics: [{ name: "heart_rate", data: Array.from({ length: 100 }, (_, i) => point(1_700_000_000 + 60 * i, 70)) }] } };
    expect(joined(normalizedPieces(encode(JSON.stringify(many)), sizes)).heartRate.length).toBe(100);
  });

  test("neither HAE nor our shape → the same 422", () => {
    for (const text of ['{"foo":1}', "[1,2,3]", '"text"', '{"data":{"foo":[]}}']) {
      const error = run(encode(text));
      expect([error.status, error.code]).toEqual([422, "invalid_payload"]);
    }
  });
});

describe("rawEntryFields", () => {
  test("a raw line's body over the item limit is still a range (its own items are what is limited)", () => {
    const body = `{"type":"heart_rate","samples":[${'{"ts":1700000000,"bpm":60},'.repeat(1_300_000)}{"ts":1700000001,"bpm":61}]}`;
    expect(body.length).toBeGreaterThan(MAX_ITEM_BYTES);
    const line = `{"id":"abc","receivedAt":"2026-11-30T10:00:00.000Z","user":"me","body":${body}}`;
    const { body: source } = rawEntryFields(memorySource(new TextEncoder().encode(line)));
    expect(source!.size).toBe(body.length);
    expect(joined(normalizedPieces(source!)).heartRate.length).toBe(1_300_001);
  });

  test("reads a raw line's fields and leaves its body as a source", () => {
    const body = JSON.stringify({ data: { metrics: [{ name: "heart_rate", data: [point(1_700_000_000, 70)] }] } });
    const line = `{"id":"abc","receivedAt":"2026-11-30T10:00:00.000Z","user":"me","headers":{"session-id":"s"},"body":${body}}`;
    const { fields, body: source } = rawEntryFields(memorySource(new TextEncoder().encode(line)));
    // the body is kept as a range whatever its size (it is read on in pieces)
    expect(fields).toEqual({ id: "abc", receivedAt: "2026-11-30T10:00:00.000Z", user: "me", headers: { "session-id": "s" } });
    expect(new TextDecoder().decode(source!.read(0, source!.size))).toBe(body);
    expect(joined(normalizedPieces(source!))).toEqual(whole(body));
  });

  test("a line cut inside its body: refused, or with keepCut (summarize) the body up to the cut, which its reader reads to the cut", () => {
    const points = Array.from({ length: 5 }, (_, i) => point(1_700_000_000 + 60 * i, 70 + i));
    const body = JSON.stringify({ data: { metrics: [{ name: "heart_rate", data: points }] } });
    const line = `{"id":"abc","receivedAt":"2026-11-30T10:00:00.000Z","user":"me","body":${body}}`;
    const cut = memorySource(new TextEncoder().encode(line.slice(0, line.indexOf(JSON.stringify(points[3])) + 10)));
    expect(caught(() => rawEntryFields(cut)).message).toBe("body is not valid JSON: unexpected end of body");
    const { fields, body: source, keys } = rawEntryFields(cut, true);
    expect([fields, keys]).toEqual([{ id: "abc", receivedAt: "2026-11-30T10:00:00.000Z", user: "me" }, ["id", "receivedAt", "user", "body"]]);
    const pieces: (Normalized | null)[] = [];
    const error = caught(() => {
      for (const piece of normalizedPieces(source!, {}, { onBadItem: () => {} })) pieces.push(piece);
    });
    // the three whole points before the cut inside the fourth
    expect([error.message, joined(pieces).heartRate.map((s) => s.bpm)]).toEqual(["body is not valid JSON: unexpected end of body", [70, 71, 72]]);
  });
});

describe("warmUp", () => {
  test("runs the reader over its own body without throwing, and leaves it working", () => {
    warmUp();
    const text = JSON.stringify({ data: { metrics: [{ name: "heart_rate", units: "count/min", data: [point(1_700_000_000, 70)] }] } });
    expect(joined(normalizedPieces(memorySource(new TextEncoder().encode(text))))).toEqual(whole(text));
  });
});

describe("lenient (summarize): bad items left out and reported, a cut body read up to the cut", () => {
  const lenient = () => {
    const bad: HttpError[] = [];
    // the UTC offsets of the dates the normalizer parsed, as told to summarize
    const offsets = new Map<number, number>();
    const observer: Observer = { shape() {}, member() {}, metric() {}, item() {}, instant: (_field, _written, _ts, offset) => void (offset !== null && offsets.set(offset, (offsets.get(offset) ?? 0) + 1)) };
    return { bad, offsets, observer, onBadItem: (err: HttpError) => void bad.push(err) };
  };
  const encode = (text: string) => memorySource(new TextEncoder().encode(text));
  const points = Array.from({ length: 40 }, (_, i) => point(1_700_000_000 + 60 * i, 60 + i)) as Record<string, unknown>[];

  test("a bad point is reported as the webhook names it, and the rest is what the body without it gives", () => {
    const withBad = points.map((p, i) => (i === 23 ? { date: p.date } : i === 31 ? { ...p, date: "2024-13-45 25:00:00 +0000" } : p));
    const text = JSON.stringify({ data: { metrics: [{ name: "heart_rate", units: "count/min", data: withBad }] } });
    const without = JSON.stringify({ data: { metrics: [{ name: "heart_rate", units: "count/min", data: withBad.filter((_, i) => i !== 23 && i !== 31) }] } });
    for (const sizes of SIZES) {
      const seen = lenient();
      expect(joined(normalizedPieces(encode(text), sizes, seen))).toEqual(whole(without));
      expect(seen.bad.map((e) => [e.status, e.field, e.message])).toEqual([
        [422, "data.metrics[0].data[23].Avg", "data.metrics[0].data[23] has neither Avg nor qty: no heart rate to read"],
        [422, "data.metrics[0].data[31].date", 'data.metrics[0].data[31].date is an invalid date "2024-13-45 25:00:00 +0000": month 13 out of range'],
      ]);
      // every date but the invalid one (the point without Avg has a good date)
      expect([...seen.offsets]).toEqual([[0, 39]]);
    }
  });

  test("a body cut inside a point: the whole points before the cut, then the cut; the hook refuses it before any piece", () => {
    const text = JSON.stringify({ data: { metrics: [{ name: "heart_rate", units: "count/min", data: points }] } });
    const cut = text.slice(0, text.indexOf(JSON.stringify(points[17])) + 30);
    const before = JSON.stringify({ data: { metrics: [{ name: "heart_rate", units: "count/min", data: points.slice(0, 17) }] } });
    for (const sizes of SIZES) {
      const pieces: (Normalized | null)[] = [];
      const error = caught(() => {
        for (const piece of normalizedPieces(encode(cut), sizes, lenient())) pieces.push(piece);
      });
      expect([error.code, error.message, joined(pieces)]).toEqual(["invalid_json", "body is not valid JSON: unexpected end of body", whole(before)]);
      let yielded = 0;
      expect(caught(() => [...normalizedPieces(encode(cut), sizes)].forEach((piece) => piece && yielded++)).code).toBe("invalid_json");
      expect(yielded).toBe(0);
    }
  });

  test("each piece says where its items sit", () => {
    const text = JSON.stringify({ data: { metrics: [{ name: "step_count", data: [] }, { name: "heart_rate", data: points }], workouts: [] } });
    const runs = [...normalizedPieces(encode(text), { pieceBytes: 1000 })].flatMap((piece) => (piece?.heartRate.length ? [{ ...piece.at!, count: piece.heartRate.length }] : []));
    // the runs follow each other: each starts where the one before ended, and together they are the 40 points
    expect(runs.length).toBeGreaterThan(3);
    runs.forEach((run, i) => expect([run.items, run.first]).toEqual(["data.metrics[1].data", i ? runs[i - 1]!.first + runs[i - 1]!.count : 0]));
    expect(runs.at(-1)!.first + runs.at(-1)!.count).toBe(40);
  });
});
