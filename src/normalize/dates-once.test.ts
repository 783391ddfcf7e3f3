// Each date of a body is parsed once, whichever path reads it (a whole body as the hook and replay read a small
// one, or a piece at a time as they read a big one, or summarize), and a bad date is still named as the schema names it.
import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { HttpError } from "../errors";
import * as dates from "./dates";
import { FileAnalyzer } from "../summarize/analyzer";
import { normalizePayload } from "./index";
import { memorySource, normalizedPieces } from "./stream";

const NNBSP = "\u202f";

/** One of every place HAE writes a date, in every accepted form. */
const BODY = {
  data: {
    metrics: [
      {
        name: "heart_rate",
        units: "count/min",
        data: [
          { date: "2024-03-01 07:00:00 +0100", Min: 60, Avg: 61, Max: 62, source: "Ana’s Apple Watch" },
          { date: "2024-03-01 07:01:00 +01:00", Avg: 63, source: "Ana’s Apple Watch" },
          { date: `2024-03-01 7:02:00${NNBSP}am +0100`, qty: 64 },
          { date: "2024-03-01T06:03:00Z", Avg: 65, source: null },
          { date: "2024-03-01T06:04:00.250Z", Avg: 66, units: "count/min" },
        ],
      },
      { name: "resting_heart_rate", units: "count/min", data: [{ date: "2024-03-01 00:00:00 +0100", qty: 54 }] },
      { name: "blood_pressure", units: "mmHg", data: [{ date: "2024-03-01 08:00:00 +0100", systolic: 120, diastolic: 80 }] },
      {
        name: "sleep_analysis",
        units: "hr",
        data: [
          { startDate: "2024-03-02 23:00:00 +0100", endDate: "2024-03-02 23:30:00 +0100", value: "Core", date: "2024-03-03" },
          { startDate: "2024-03-02 23:30:00 +0100", endDate: "2024-03-03 00:10:00 +0100", value: "Mystery", date: "2024-03-03 00:00:00 +0100" },
          { date: "2024-03-05", asleep: 7, sleepStart: "2024-03-04 23:00:00 +0100", sleepEnd: "2024-03-05 06:00:00 +0100", inBedStart: "2024-03-04 22:50:00 +0100", inBedEnd: "2024-03-05 06:10:00 +0100" },
        ],
      },
    ],
    workouts: [
      {
        id: "w1",
        name: "Run",
        start: "2024-03-01 18:00:00 +0100",
        end: "2024-03-01 18:30:00 +0100",
        heartRateData: [
          { date: "2024-03-01 18:10:00 +0100", Min: 140, Avg: 150, Max: 160 },
          { date: "2024-03-01 18:11:00 +0100", qty: 151, units: "count/min" },
        ],
      },
      // a recovery series (flat, from the end on): its dates are read once too
      { name: "Walk", start: "2024-03-01 19:00:00 +0100", end: "2024-03-01 19:10:00 +0100", heartRateData: [{ date: "2024-03-01 19:10:00 +0100", Min: 90, Avg: 90, Max: 90 }] },
    ],
  },
};

/** Every date string in BODY: 5 + 1 + 1 + (3 + 3 + 5) + (4 + 3) = 25. */
const DATES = [
  ...BODY.data.metrics.flatMap((metric) => (metric.data as Record<string, unknown>[]).flatMap((point) => ["date", "startDate", "endDate", "sleepStart", "sleepEnd", "inBedStart", "inBedEnd"].map((key) => point[key]))),
  ...BODY.data.workouts.flatMap((w) => [w.start, w.end, ...w.heartRateData.map((p) => p.date)]),
].filter((value): value is string => typeof value === "string");

/** The dates parsed while `run` runs: by parseHaeDate, parseHaeDateBytes (a big body's heart rate) or parseHaeDateOrDay. */
function parsedWhile(run: () => void): string[] {
  const spies = [spyOn(dates, "parseHaeDate"), spyOn(dates, "parseHaeDateOrDay")];
  const fromBytes = spyOn(dates, "parseHaeDateBytes");
  try {
    run();
    const strings = spies.flatMap((spy) => spy.mock.calls.map(([value]) => value));
    return [...strings, ...fromBytes.mock.calls.map(([bytes, start, end]) => new TextDecoder().decode(bytes.subarray(start, end)))];
  } finally {
    for (const spy of [...spies, fromBytes]) spy.mockRestore();
  }
}

const text = JSON.stringify(BODY);
const bytes = new TextEncoder().encode(text);

describe("each date is parsed once", () => {
  afterEach(() => expect(dates.parseHaeDate("2024-03-01 07:00:00 +0100")).toBe(1_709_272_800));

  test("the body holds 25 dates", () => {
    expect(DATES.length).toBe(25);
  });

  test("a whole body (the hook's and replay's small bodies)", () => {
    let out;
    expect(parsedWhile(() => (out = normalizePayload(JSON.parse(text)))).sort()).toEqual(DATES.toSorted());
    // all of it was read: 5 + 2 + 0 (recovery) heart-rate samples, 3 gauges, 2 nights, 2 workouts
    expect(out!).toMatchObject({ heartRate: { length: 7 }, gauges: { length: 3 }, sleep: { length: 2 }, workouts: { length: 2 } });
  });

  test("a body read a piece at a time (the hook's and replay's big bodies), at three piece sizes", () => {
    for (const sizes of [{ pieceBytes: 1, windowBytes: 7 }, { pieceBytes: 300 }, {}]) {
      expect(parsedWhile(() => [...normalizedPieces(memorySource(bytes), sizes)]).sort()).toEqual(DATES.toSorted());
    }
  });

  test("summarize (the reader's lenient, observed mode), whole and a piece at a time: each date once, its offset told from that parse", () => {
    for (const sizes of [{ pieceBytes: 1, windowBytes: 7 }, {}]) {
      const analyzer = new FileAnalyzer(2_000_000_000, sizes);
      expect(parsedWhile(() => analyzer.document(memorySource(bytes), "")).sort()).toEqual(DATES.toSorted());
      // the dates summarize counts, as before it read by this reader: a point's date (else a segment's or night's
      // start; a bare day is none), a workout's start and end and its heart rate's (a recovery series' not):
      // heart rate 3 +01:00, 2 Z; resting and blood pressure 1 each; sleep 1 (the second segment's date); workouts 4 + 2
      expect(Object.fromEntries([...analyzer.stats.offsets].sort(([a], [b]) => a - b))).toEqual({ 0: 2, 3600: 12 });
      expect(analyzer.stats.strict).toEqual({ accepted: 1, rejected: 0, skipped: 0 });
    }
  });

  test("our fixture shape has no dates to parse", () => {
    const fixture = JSON.stringify({ type: "heart_rate", samples: [{ ts: 1_709_272_800, bpm: 60 }] });
    expect(parsedWhile(() => normalizePayload(JSON.parse(fixture)))).toEqual([]);
    expect(parsedWhile(() => [...normalizedPieces(memorySource(new TextEncoder().encode(fixture)))])).toEqual([]);
  });
});

/** The 422 a body gets, whole and a piece at a time (the same, or the test fails). */
function refusal(body: unknown): { field?: string; message: string } {
  const text = JSON.stringify(body);
  const errors = [() => normalizePayload(JSON.parse(text)), () => [...normalizedPieces(memorySource(new TextEncoder().encode(text)), { pieceBytes: 1 })]].map((run) => {
    try {
      run();
    } catch (error) {
      if (error instanceof HttpError && error.status === 422) return { field: error.field, message: error.message };
      throw error;
    }
    throw new Error("accepted");
  });
  expect(errors[1]).toEqual(errors[0]!);
  return errors[0]!;
}

describe("a bad date is named as the schema names it, before or after other problems as the schema orders them", () => {
  const run = { name: "Run", start: "2024-03-01 18:00:00 +0100", end: "2024-03-01 18:30:00 +0100" };

  test("a plain heart-rate point whose date does not parse", () => {
    const body = { data: { metrics: [{ name: "heart_rate", data: [{ date: "2024-03-01 07:00:00 +0100", Avg: 60 }, { date: "2024-02-30 07:00:00 +0100", Avg: 60 }] }] } };
    expect(refusal(body)).toEqual({ field: "data.metrics[0].data[1].date", message: 'data.metrics[0].data[1].date is an invalid date "2024-02-30 07:00:00 +0100": day 30 out of range for month 2' });
  });

  test("a gauge point with a bad date and a bad qty: the date comes first in the schema", () => {
    const body = { data: { metrics: [{ name: "step_count", data: [{ date: "2024-03-01 25:00:00 +0100", qty: "many" }] }] } };
    expect(refusal(body)).toEqual({ field: "data.metrics[0].data[0].date", message: 'data.metrics[0].data[0].date is an invalid date "2024-03-01 25:00:00 +0100": hour 25 out of range' });
  });

  test("a workout's bad heart-rate date is named before a bad metric point, as the envelope is checked first", () => {
    const body = {
      data: {
        metrics: [{ name: "step_count", data: [{ date: "2024-03-01 07:00:00", qty: 1 }] }],
        workouts: [run, { ...run, heartRateData: [{ date: "2024-03-01 18:10:00 +0100", Avg: 150 }, { date: "2024-03-01 18:11:00", Avg: 151 }] }],
      },
    };
    // whole body only: a piece at a time reads metrics before workouts (each piece is its own small body)
    const error = (() => {
      try {
        normalizePayload(JSON.parse(JSON.stringify(body)));
      } catch (err) {
        return err as HttpError;
      }
    })()!;
    expect({ field: error.field, message: error.message }).toEqual({
      field: "data.workouts[1].heartRateData[1].date",
      message: 'data.workouts[1].heartRateData[1].date is an invalid date "2024-03-01 18:11:00": no UTC offset',
    });
  });

  test("a workout: a missing name is named before a bad start; a bad end after a good start", () => {
    expect(refusal({ data: { workouts: [{ start: "2024-03-01 18:00", end: run.end }] } })).toEqual({ field: "data.workouts[0].name", message: "data.workouts[0].name is missing" });
    expect(refusal({ data: { workouts: [{ ...run, end: "2024-03-01 18:30:00 +2500" }] } })).toEqual({
      field: "data.workouts[0].end",
      message: 'data.workouts[0].end is an invalid date "2024-03-01 18:30:00 +2500": offset beyond ±14:00',
    });
  });

  test("sleep: a segment of an unknown stage still has its dates checked; a night's dates in the schema's order", () => {
    const segment = { startDate: "2024-03-02 23:00:00 +0100", endDate: "2024-03-02 23:30:00", value: "Mystery" };
    expect(refusal({ data: { metrics: [{ name: "sleep_analysis", data: [segment] }] } })).toEqual({
      field: "data.metrics[0].data[0].endDate",
      message: 'data.metrics[0].data[0].endDate is an invalid date "2024-03-02 23:30:00": no UTC offset',
    });
    const night = { asleep: 7, date: "2024-03-05", sleepStart: "2024-03-04 11:00:00 pm +0100", sleepEnd: "2024-03-05 06:00:00 +0100", inBedEnd: "2024-03-05" };
    expect(refusal({ data: { metrics: [{ name: "sleep_analysis", data: [night] }] } })).toEqual({
      field: "data.metrics[0].data[0].inBedEnd",
      message: 'data.metrics[0].data[0].inBedEnd is an invalid date "2024-03-05": date only, a time and UTC offset are required here',
    });
    expect(refusal({ data: { metrics: [{ name: "sleep_analysis", data: [{ ...night, date: "2024-02-30", sleepStart: "x" }] }] } })).toEqual({
      field: "data.metrics[0].data[0].date",
      message: 'data.metrics[0].data[0].date is an invalid date "2024-02-30": day 30 out of range for month 2',
    });
  });
});
