// Issue #16's randomized check, small: ≈200 k samples over a month (a DST change included) from four sources,
// a raw log with late days, overlapping windows, repeats and revisions rebuilt by `replay`, then late,
// overlapping, repeated and revised payloads (fixture and HAE JSON, a fifth source) over HTTP to the real
// server; ~50 ranges, local days and (VM) the raw counters must equal one transform over the union, exactly.
// bench/scale-check.ts runs the same at 10 M samples.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkInstants, checkStore, copyRawLog, VM_RAW_MAX_S } from "../support/history-check";
import { applyTail, pickRanges, reference, tailPayloads, totalsAt, writeHistory, type History, type Payload, type Range, type Reference } from "../support/random-history";
import { onBothStores } from "../support/vm";

let rawDir: string;
let history: History;
let tail: Payload[];
let ref: Reference;
let ranges: Range[];
let totals: Map<number, number[]>;

/** 12 days after Europe/Berlin's latest clock change at least two weeks ago: a month of data then holds one. */
function dayAfterDstChange(): number {
  const today = Math.floor(Date.now() / 86_400_000);
  for (let day = today - 14; ; day--) {
    const date = new Date(day * 86_400_000);
    const lastSunday = date.getUTCDay() === 0 && date.getUTCDate() > 24 && [2, 9].includes(date.getUTCMonth());
    if (lastSunday) return day + 12;
  }
}

beforeAll(() => {
  rawDir = mkdtempSync(join(tmpdir(), "fitstack-scale-check-"));
  history = writeHistory(rawDir, 200_000, dayAfterDstChange(), 16);
  // VM rewrites every total after a late sample: a tail within the last 7 days keeps each post short
  tail = tailPayloads(history, 24, 7, 17);
  applyTail(history, tail);
  ref = reference(history.samples, Math.floor(Date.now() / 1000));
  ranges = pickRanges(ref, 50, 18);
  totals = totalsAt(ref, checkInstants(ranges, ref));
});

afterAll(() => rmSync(rawDir, { recursive: true, force: true }));

test("the generated history has every twist the check is about", () => {
  expect(history.samples.length).toBeGreaterThan(180_000);
  // each kind at least once: late days, overlapping windows, repeats and revisions in the raw log
  expect(Object.values(history.twists).every((n) => n > 0)).toBe(true);
  expect(tail.some((p) => p.hae) && tail.some((p) => !p.hae)).toBe(true);
  expect(ranges.some((r) => r.kind.startsWith("local day")) && ranges.some((r) => r.kind.includes("inside one day"))).toBe(true);
});

onBothStores((store, extraEnv, vmOf) => {
  test(`${store}: replay of the raw log, then the tail over HTTP: every range, local day and counter equals one transform over the union`, async () => {
    const dataDir = copyRawLog(rawDir);
    try {
      const check = await checkStore({ dataDir, vmUrl: extraEnv().VM_URL, history, tail, ref, ranges, totals });
      expect(check.mismatches).toEqual([]);
      const short = ranges.filter((r) => r.to - r.from <= VM_RAW_MAX_S).length;
      expect(short).toBeGreaterThan(20);
      expect({ ranges: check.ranges, vmSeriesRanges: check.vmSeriesRanges }).toEqual({ ranges: ranges.length, vmSeriesRanges: vmOf ? short : 0 });
      expect(check.localDays).toBeGreaterThanOrEqual(7);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
