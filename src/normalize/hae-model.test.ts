import { expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { HttpError } from "../errors";
import { assertMatches, HaeEnvelope, HaeGaugePoint, HaeSleepNightPoint, HaeWorkout } from "./hae-model";

const checkEnvelope = TypeCompiler.Compile(HaeEnvelope);

function problem(check: Parameters<typeof assertMatches>[0], value: unknown, base: string) {
  try {
    assertMatches(check, value, base);
  } catch (error) {
    if (error instanceof HttpError) return { status: error.status, field: error.field, message: error.message };
    throw error;
  }
  return undefined;
}

test("the envelope: every key optional, extra keys anywhere, other arrays unchecked", () => {
  expect(Value.Check(HaeEnvelope, { data: {} })).toBe(true);
  expect(
    Value.Check(HaeEnvelope, {
      extra: 1,
      data: {
        metrics: [{ name: "step_count", units: "count", data: [{ anything: true }], extra: 1 }],
        workouts: [],
        stateOfMind: [{ valence: 0.3 }],
        ecg: { odd: "shape" },
        somethingNew: [1, 2],
      },
    }),
  ).toBe(true);
  expect(Value.Check(HaeEnvelope, { data: { metrics: {} } })).toBe(false);
});

test("points: source may be missing, empty, joined or null; numbers must be finite", () => {
  const point = { date: "2024-08-24 14:32:00 +0200", qty: 412 };
  expect([
    Value.Check(HaeGaugePoint, point),
    Value.Check(HaeGaugePoint, { ...point, source: "" }),
    Value.Check(HaeGaugePoint, { ...point, source: "Ana's Apple Watch|iPhone" }),
    Value.Check(HaeGaugePoint, { ...point, source: null }),
    Value.Check(HaeGaugePoint, { ...point, qty: Number.NaN }),
    Value.Check(HaeGaugePoint, { ...point, qty: Number.POSITIVE_INFINITY }),
    Value.Check(HaeGaugePoint, { ...point, qty: "412" }),
    Value.Check(HaeGaugePoint, { ...point, date: "2024-08-24 14:32:00" }),
  ]).toEqual([true, true, true, true, false, false, false, false]);
});

test("sleep `date` may be a bare day, a timestamp or null; the night times must be timestamps", () => {
  const night = { asleep: 6.11, sleepStart: "2021-12-18 02:21:06 +0800", sleepEnd: "2021-12-18 08:57:06 +0800" };
  expect([
    Value.Check(HaeSleepNightPoint, { ...night, date: "2024-02-06" }),
    Value.Check(HaeSleepNightPoint, { ...night, date: "2024-02-06 00:00:00 -0800" }),
    Value.Check(HaeSleepNightPoint, { ...night, date: null }),
    Value.Check(HaeSleepNightPoint, { ...night, sleepEnd: "2021-12-18" }),
    Value.Check(HaeSleepNightPoint, { ...night, asleep: -1 }),
  ]).toEqual([true, true, true, false, false]);
});

test("a bad value fails with its JSON path and the value named", () => {
  const body = {
    data: {
      metrics: [
        { name: "step_count", data: [] },
        { name: "heart_rate", data: [] },
      ],
      workouts: [{ id: "A", name: "Run", start: "2024-02-05 23:00:00 -0800", end: "2024-02-30 23:30:00 -0800" }],
    },
  };
  expect(problem(checkEnvelope, body, "")).toEqual({
    status: 422,
    field: "data.workouts[0].end",
    message: 'data.workouts[0].end is an invalid date "2024-02-30 23:30:00 -0800": day 30 out of range for month 2',
  });
});

test("messages for missing fields, wrong types and paths under a base", () => {
  const checkPoint = TypeCompiler.Compile(HaeGaugePoint);
  expect([
    problem(checkPoint, { qty: 1 }, "data.metrics[3].data[17]"),
    problem(checkPoint, { date: "2024-08-24 14:32:00 +0200", qty: "12" }, "data.metrics[3].data[17]"),
    problem(checkPoint, { date: "2024-08-24 14:32:00 +0200", source: 7 }, "data.metrics[0].data[0]"),
    problem(TypeCompiler.Compile(HaeWorkout), { name: "Run", start: "2024-02-05 23:00:00 -0800", end: "2024-02-05 23:30:00 -0800", distance: { qty: -1, units: "km" } }, "data.workouts[2]"),
    problem(checkEnvelope, { data: { metrics: [{ name: "", data: [] }] } }, ""),
  ]).toEqual([
    { status: 422, field: "data.metrics[3].data[17].date", message: "data.metrics[3].data[17].date is missing" },
    { status: 422, field: "data.metrics[3].data[17].qty", message: 'data.metrics[3].data[17].qty must be a finite number, got "12"' },
    { status: 422, field: "data.metrics[0].data[0].source", message: "data.metrics[0].data[0].source must be a string or null, got 7" },
    { status: 422, field: "data.workouts[2].distance.qty", message: "data.workouts[2].distance.qty must be a finite number >= 0, got -1" },
    { status: 422, field: "data.metrics[0].name", message: 'data.metrics[0].name must be a non-empty string, got ""' },
  ]);
});
