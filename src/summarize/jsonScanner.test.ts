import { expect, test } from "bun:test";
import { JsonScanner, type Frame, type ScanSink } from "./jsonScanner";

/** Records what the scanner hands over, as lines easy to compare. */
function recorder(): ScanSink & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    open: (frame: Frame, key: string) => events.push(`open ${frame} ${key}`),
    close: (frame: Frame) => events.push(`close ${frame}`),
    value: (parent, key, text) => events.push(`value ${parent} ${key} ${text}`),
    docEnd: (text, complete) => events.push(`end ${complete} ${text === null ? "-" : text.length}`),
    error: (message) => events.push(`error ${message}`),
  };
}

const BODY = `{"data" : {"metrics" : [{"data" : [{"date" : "2026-01-01 10:00:00 +0100", "Avg" : 61, "source" : "a \\"b\\" \\\\"}, {"date":"x","n":[1,{"k":"]"}]}], "name" : "heart_rate"}], "ecg" : [{"v" : 1}]}}`;

test("walks data.metrics[].data[] and hands over each point, the name after the data, and other arrays' entries", () => {
  const sink = recorder();
  const scanner = new JsonScanner(sink);
  scanner.feed(BODY);
  scanner.end();
  expect(sink.events).toEqual([
    "open root ",
    "open data data",
    "open metrics metrics",
    "open metric ",
    "open metricData data",
    `value metricData  {"date" : "2026-01-01 10:00:00 +0100", "Avg" : 61, "source" : "a \\"b\\" \\\\"}`,
    `value metricData  {"date":"x","n":[1,{"k":"]"}]}`,
    "close metricData",
    `value metric name "heart_rate"`,
    "close metric",
    "close metrics",
    "open section ecg",
    `value section  {"v" : 1}`,
    "close section",
    "close data",
    "close root",
    `end true ${BODY.length}`,
  ]);
});

test("gives the same pieces whatever the chunking, down to one character at a time", () => {
  const whole = recorder();
  const split = recorder();
  new JsonScanner(whole).feed(BODY);
  const scanner = new JsonScanner(split);
  for (const c of BODY) scanner.feed(c);
  scanner.end();
  expect(split.events).toEqual(whole.events);
});

test("reports a truncated document, after handing over what came before the cut", () => {
  const sink = recorder();
  const scanner = new JsonScanner(sink);
  scanner.feed(`{"type":"heart_rate","samples":[{"ts":1,"bpm":60},{"ts":2,"bp`);
  scanner.end();
  expect(sink.events.slice(-3)).toEqual([
    `value samples  {"ts":1,"bpm":60}`,
    "error truncated: input ends inside an open array (depth 2) (at character 61)",
    "end false -",
  ]);
});

test("rejects what is not JSON, and trailing data after the value", () => {
  const html = recorder();
  new JsonScanner(html).feed("<html>");
  expect(html.events).toEqual([`error unexpected character "<" (at character 0)`, "end false -"]);
  const trailing = recorder();
  new JsonScanner(trailing).feed(`{"a":1} x`);
  expect(trailing.events.at(-1)).toBe("error unexpected data after the JSON value (at character 8)");
});

test("does not hold a document bigger than the capture limit as text", () => {
  const sink = recorder();
  const scanner = new JsonScanner(sink, 10);
  scanner.feed(`{"samples":[{"ts":1,"bpm":60}]}`);
  expect(sink.events.at(-1)).toBe("end true -");
});
