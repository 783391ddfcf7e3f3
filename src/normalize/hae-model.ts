// TypeBox schemas for the Health Auto Export REST body. Lenient where HAE varies (extra keys
// everywhere, optional fields, source "" / missing / "a|b"), strict where a wrong value would
// corrupt a metric (finite numbers, parseable dates).
import { FormatRegistry, Type, type Static, type TSchema } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import { invalidPayload } from "../errors";
import { HaeDateError, isHaeDate, parseHaeDate, parseHaeDateOrDay, quoteValue } from "./dates";

FormatRegistry.Set("hae-date", (value) => isHaeDate(value));
FormatRegistry.Set("hae-date-or-day", (value) => isHaeDate(value, true));

/** A timestamp with a UTC offset (see dates.ts for the accepted forms). */
export const HaeDate = Type.String({ format: "hae-date" });
/** A timestamp, or a bare yyyy-MM-dd where HAE documents one (sleep `date`). */
export const HaeDateOrDay = Type.String({ format: "hae-date-or-day" });

// TypeBox's default policy (AllowNaN = false) already rejects NaN and ±Infinity for Type.Number.
const Finite = Type.Number();
const NonNegative = Type.Number({ minimum: 0 });
const Source = Type.Optional(Type.Union([Type.String(), Type.Null()]));

/** `{qty, units}` as used for workout totals. */
export const HaeQuantity = Type.Object({ qty: Finite, units: Type.Optional(Type.String()) });
const HaeAmount = Type.Object({ qty: NonNegative, units: Type.Optional(Type.String()) });

/** A metric; its points are checked per kind (see the point schemas below). */
export const HaeMetric = Type.Object({
  name: Type.String({ minLength: 1 }),
  units: Type.Optional(Type.String()),
  data: Type.Array(Type.Unknown()),
});

/** heart_rate: `Min`/`Avg`/`Max` (or `qty`); v1 workout points carry `qty` and `units`. */
export const HaeHeartRatePoint = Type.Object({
  date: HaeDate,
  Avg: Type.Optional(Finite),
  Min: Type.Optional(Finite),
  Max: Type.Optional(Finite),
  qty: Type.Optional(Finite),
  source: Source,
});

/** Any other metric: `qty`, or blood pressure's `systolic`/`diastolic`. */
export const HaeGaugePoint = Type.Object({
  date: HaeDate,
  qty: Type.Optional(Finite),
  systolic: Type.Optional(Finite),
  diastolic: Type.Optional(Finite),
  source: Source,
});

const SleepDate = Type.Optional(Type.Union([HaeDateOrDay, Type.Null()]));

/** sleep_analysis shapes A (before 6.6.2) and B (6.6.2+): hours per stage for one night. */
export const HaeSleepNightPoint = Type.Object({
  date: SleepDate,
  totalSleep: Type.Optional(NonNegative),
  asleep: Type.Optional(NonNegative),
  core: Type.Optional(NonNegative),
  deep: Type.Optional(NonNegative),
  rem: Type.Optional(NonNegative),
  awake: Type.Optional(NonNegative),
  inBed: Type.Optional(NonNegative),
  sleepStart: Type.Optional(HaeDate),
  sleepEnd: Type.Optional(HaeDate),
  inBedStart: Type.Optional(HaeDate),
  inBedEnd: Type.Optional(HaeDate),
  source: Source,
  sleepSource: Source,
  inBedSource: Source,
});

/** sleep_analysis shape C: one segment per stage change. */
export const HaeSleepSegmentPoint = Type.Object({
  startDate: HaeDate,
  endDate: HaeDate,
  value: Type.String(),
  qty: Type.Optional(NonNegative),
  date: SleepDate,
  source: Source,
});

/** v2 (id, duration, activeEnergyBurned, heartRate{…}) and v1 (no id, totals as {qty, units}). */
export const HaeWorkout = Type.Object({
  id: Type.Optional(Type.String()),
  name: Type.String(),
  start: HaeDate,
  end: HaeDate,
  duration: Type.Optional(NonNegative),
  activeEnergyBurned: Type.Optional(HaeAmount),
  // v1: a total {qty, units}; v2: a per-minute series (not used here).
  activeEnergy: Type.Optional(Type.Union([HaeAmount, Type.Array(Type.Unknown())])),
  totalEnergy: Type.Optional(HaeAmount),
  distance: Type.Optional(HaeAmount),
  heartRate: Type.Optional(
    Type.Object({ min: Type.Optional(HaeQuantity), avg: Type.Optional(HaeQuantity), max: Type.Optional(HaeQuantity) }),
  ),
  avgHeartRate: Type.Optional(HaeQuantity),
  maxHeartRate: Type.Optional(HaeQuantity),
  heartRateData: Type.Optional(Type.Array(HaeHeartRatePoint)),
});

/** The other arrays are kept in the raw log only, so any value is accepted there. */
const Kept = Type.Optional(Type.Unknown());

export const HaeEnvelope = Type.Object({
  data: Type.Object({
    metrics: Type.Optional(Type.Array(HaeMetric)),
    workouts: Type.Optional(Type.Array(HaeWorkout)),
    stateOfMind: Kept,
    medications: Kept,
    symptoms: Kept,
    cycleTracking: Kept,
    ecg: Kept,
    heartRateNotifications: Kept,
  }),
});

export type HaeEnvelope = Static<typeof HaeEnvelope>;
export type HaeMetric = Static<typeof HaeMetric>;
export type HaeWorkout = Static<typeof HaeWorkout>;
export type HaeHeartRatePoint = Static<typeof HaeHeartRatePoint>;
export type HaeGaugePoint = Static<typeof HaeGaugePoint>;
export type HaeSleepNightPoint = Static<typeof HaeSleepNightPoint>;
export type HaeSleepSegmentPoint = Static<typeof HaeSleepSegmentPoint>;

/**
 * A shape's two checks. `fast` leaves dates as any string: the normalizer parses each date once, in schema order,
 * with dateAt/dateOrDayAt, which fail as the schema would (so a date is not parsed by the check and then again).
 * `exact` is the schema itself, run only when `fast` fails, to name the first problem as it always has.
 */
export interface ShapeCheck<T extends TSchema> {
  fast: TypeCheck<TSchema>;
  exact: TypeCheck<T>;
}

export function compileShape<T extends TSchema>(schema: T): ShapeCheck<T> {
  return { fast: TypeCompiler.Compile(withoutDateFormats(schema)), exact: TypeCompiler.Compile(schema) };
}

/** A copy of the schema whose date formats are plain strings (TypeBox's Kind and Optional markers are symbol keys, kept). */
function withoutDateFormats<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(withoutDateFormats) as T;
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Record<PropertyKey, unknown> = {};
  for (const key of Reflect.ownKeys(schema)) {
    const value = (schema as Record<PropertyKey, unknown>)[key];
    if (key === "format" && (value === "hae-date" || value === "hae-date-or-day")) continue;
    out[key] = withoutDateFormats(value);
  }
  return out as T;
}

/** Passes when `value` has the shape but for its dates (see ShapeCheck); otherwise throws as assertMatches. */
export function assertShape<T extends TSchema>(check: ShapeCheck<T>, value: unknown, base: string): asserts value is Static<T> {
  if (check.fast.Check(value)) return;
  assertMatches(check.exact, value, base);
}

/** Exact unix seconds of an HAE date found at `field`; throws the 422 the schema's format check names. */
export function dateAt(value: string, field: string): number {
  try {
    return parseHaeDate(value);
  } catch (error) {
    throw dateProblem(error, field);
  }
}

/** Checks a date that may be a bare day (sleep `date`, never used); throws the 422 the schema's format check names. */
export function dateOrDayAt(value: string, field: string): void {
  try {
    parseHaeDateOrDay(value, 0);
  } catch (error) {
    throw dateProblem(error, field);
  }
}

function dateProblem(error: unknown, field: string): unknown {
  return error instanceof HaeDateError ? badDateAt(error, field) : error;
}

/** The 422 for a date that did not parse, as the schema's format check names it. */
export const badDateAt = (error: HaeDateError, field: string) => invalidPayload(`${field} ${badDate(error)}`, field);

const badDate = (error: HaeDateError) => `is an ${error.message}`;

/**
 * Passes when `value` matches; otherwise throws a 422 whose field is the JSON path of the first
 * problem under `base` (e.g. "data.metrics[3].data[17].date") and whose message names the value.
 */
export function assertMatches<T extends TSchema>(check: TypeCheck<T>, value: unknown, base: string): asserts value is Static<T> {
  if (check.Check(value)) return;
  const problem = check.Errors(value).First();
  if (!problem) throw invalidPayload(`${base || "body"} does not match the HAE format`, base || undefined);
  const field = joinPath(base, value, problem.path);
  throw invalidPayload(`${field} ${describeProblem(problem.schema, problem.value, problem.message)}`, field);
}

function describeProblem(schema: TSchema, value: unknown, fallback: string): string {
  if (value === undefined) return "is missing";
  const format = schema.format ?? schema.anyOf?.find((s: TSchema) => s.format)?.format;
  if (typeof value === "string" && (format === "hae-date" || format === "hae-date-or-day")) {
    try {
      if (format === "hae-date-or-day") parseHaeDateOrDay(value, 0);
      else parseHaeDate(value);
    } catch (error) {
      if (error instanceof HaeDateError) return badDate(error);
    }
  }
  return `must be ${expected(schema) ?? fallback.toLowerCase()}, got ${quoteValue(value)}`;
}

function expected(schema: TSchema): string | undefined {
  if (schema.anyOf) return schema.anyOf.map((s: TSchema) => expected(s) ?? "?").join(" or ");
  switch (schema.type) {
    case "number":
      return schema.minimum === 0 ? "a finite number >= 0" : "a finite number";
    case "string":
      if (schema.format === "hae-date") return "a date with a UTC offset";
      if (schema.format === "hae-date-or-day") return "a date";
      return schema.minLength ? "a non-empty string" : "a string";
    case "array":
      return "an array";
    case "object":
      return "an object";
    case "null":
      return "null";
  }
  return undefined;
}

/** JSON pointer "/metrics/3/data/17" under `value` → "metrics[3].data[17]" (arrays by index). */
export function joinPath(base: string, value: unknown, pointer: string): string {
  let field = base;
  let node: unknown = value;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) field += `[${key}]`;
    else field += field ? `.${key}` : key;
    node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined;
  }
  return field;
}
