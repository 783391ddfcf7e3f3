// The heart-rate reader against JSON.parse + normalize: the same samples, or the same refusal, for points written
// in every way JSON allows (and some it does not).
import { describe, expect, test } from "bun:test";
import { HttpError } from "../errors";
import { heartRateSamples } from "./hae-points";
import { normalizePayload } from "./index";
import { memorySource, normalizedPieces } from "./stream";

/** Seeded, so a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

/** Its heart rate, or its refusal: 400 (not JSON; the words differ between a whole body and a piece), or the 422 whole. */
function outcome(run: () => Iterable<{ heartRate: unknown[] } | null>) {
  try {
    const heartRate: unknown[] = [];
    for (const piece of run()) if (piece) heartRate.push(...piece.heartRate);
    return { heartRate };
  } catch (error) {
    if (error instanceof SyntaxError || (error instanceof HttpError && error.status === 400)) return { status: 400 };
    if (error instanceof HttpError) return { status: error.status, code: error.code, field: error.field, message: error.message };
    throw error;
  }
}

const wholeBody = (text: string) => outcome(() => [normalizePayload(JSON.parse(text))]);
const pieces = (text: string, pieceBytes: number) => outcome(() => normalizedPieces(memorySource(new TextEncoder().encode(text)), { pieceBytes }));

describe("heart-rate points read from bytes", () => {
  test("a plain run: every field read as JSON.parse would", () => {
    const text = '{"date":"2024-03-01 07:00:00 +0100","Min":-0,"Avg":83.16,"Max":1E2,"source":"Ana’s Apple\u00a0Watch"} , {"qty":0.1,"date":"2024-03-01 07:01:00 +0100","extra":[1]}';
    const odd: number[] = [];
    const samples = heartRateSamples(new TextEncoder().encode(text), (_, index) => {
      odd.push(index);
      return { ts: 0, bpm: 0, source: "odd", device: "" };
    });
    // 2024-03-01 06:00:00Z = 1709272800; the second point has a nested value: left to JSON.parse
    expect([samples, odd]).toEqual([
      [
        { ts: 1_709_272_800, bpm: 83.16, source: "Ana’s Apple\u00a0Watch", device: "" },
        { ts: 0, bpm: 0, source: "odd", device: "" },
      ],
      [1],
    ]);
  });

  test("not UTF-8: null, for JSON.parse to refuse", () => {
    const bytes = new TextEncoder().encode('{"date":"2024-03-01 07:00:00 +0100","Avg":60,"source":"XY"}');
    bytes[bytes.length - 3] = 0xff;
    expect(heartRateSamples(bytes, () => ({ ts: 0, bpm: 0, source: "", device: "" }))).toBeNull();
  });

  test("a point without a heart rate is named where it sits, in the field and in the message", () => {
    const plain = '{"date":"2024-03-01 07:00:00 +0100","Avg":60}';
    const text = `{"data":{"metrics":[{"name":"heart_rate","data":[${plain},${plain},${plain},{"date":"2024-03-01 07:00:00 +0100","Min":60}]}]}}`;
    const expected = { status: 422, code: "invalid_payload", field: "data.metrics[0].data[3].Avg", message: "data.metrics[0].data[3] has neither Avg nor qty: no heart rate to read" };
    expect([wholeBody(text), pieces(text, 1), pieces(text, 100)]).toEqual([expected, expected, expected]);
  });

  test("randomized points: the same samples or the same refusal as JSON.parse of the whole body", () => {
    const random = rng(20261130);
    const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)]!;
    const space = () => pick(["", "", "", " ", "\n  ", "\t"]);
    const dates = ["2024-03-01 07:00:00 +0100", "2024-03-01 07:00:59 +0100", "2024-03-02 00:00:00 -0930", `2024-03-01 7:00:00\u202fpm +0100`, "2024-03-01T07:00:00Z", "2024-02-30 07:00:00 +0100", "2024-03-01 24:00:00 +0100", "2024-03-01 07:00:00", "2024-03-01 07:60:00 +0100", "2024-03-01 07:00:00 +0100\\u0020", "2024-03-01 07:00:00 +01:00"];
    const numbers = ["60", "-0", "0", "83.16", "92.228561735701774", "1e2", "1E-2", "-12.5", "0.0000000000000001", "123456789012345678", "1e400", "01", "1.", "-", ".5", '"60"', "null", "true", "tru"];
    const sources = ['"Ana’s Apple\u00a0Watch"', '"Ana’s Apple\u00a0Watch"', '"iPhone"', '""', "null", '"a\\"b"', '"a\\u2019b"', "5", '"tab\there"', '"🙂"'];
    const extras = ['"context":"Not Set"', '"units":"count/min"', '"start":"2024-03-01 07:00:00 +0100"', '"n":null', '"b":false', '"x":{"y":[1,2]}', '"d\\u0061te":"2024-03-01 08:00:00 +0100"', '"näme":"é"', '"__proto__":1'];
    const point = () => {
      const fields: string[] = [];
      if (random() < 0.95) fields.push(`"date":${random() < 0.95 ? `"${pick(dates)}"` : pick(numbers)}`);
      for (const key of ["Min", "Avg", "Max", "qty"]) if (random() < 0.6) fields.push(`"${key}":${random() < 0.8 ? pick(numbers.slice(0, 6)) : pick(numbers)}`);
      if (random() < 0.9) fields.push(`"source":${pick(sources)}`);
      if (random() < 0.3) fields.push(pick(extras));
      if (random() < 0.05 && fields.length) fields.push(pick(fields));
      fields.sort(() => random() - 0.5);
      if (random() < 0.02) return pick(["[]", "1", '"p"', "{}", "null"]);
      return `{${space()}${fields.map((f) => f.replace(":", `${space()}:${space()}`)).join(`${space()},${space()}`)}${space()}}`;
    };
    let refused = 0;
    for (let round = 0; round < 400; round++) {
      // mostly plain points, a few odd ones among them
      const points = Array.from({ length: 1 + Math.floor(random() * 12) }, () =>
        random() < 0.7 ? `{"date":"2024-03-01 07:0${Math.floor(random() * 10)}:00 +0100","Min":60,"Avg":61,"Max":62,"source":"Ana’s Apple Watch"}` : point(),
      );
      const text = `{"data":{"metrics":[{"name":"heart_rate","units":"count/min","data":[${points.join(`${space()},${space()}`)}]}]}}`;
      const expected = wholeBody(text);
      if ("status" in expected) refused++;
      for (const pieceBytes of [1, 200, 512 * 1024]) {
        const got = pieces(text, pieceBytes);
        // a misspelt number or literal is found when its piece is parsed: one in a later piece than a 422 comes second
        if (expected.status === 400 && pieceBytes < text.length && got.status === 422) continue;
        expect({ text, pieceBytes, ...got }).toEqual({ text, pieceBytes, ...expected });
      }
    }
    // both kinds were tried
    expect(refused).toBeGreaterThan(50);
    expect(refused).toBeLessThan(350);
  });
});
