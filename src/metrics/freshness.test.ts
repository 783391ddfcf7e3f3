import { expect, test } from "bun:test";
import { Ledger } from "../ledger/ledger";
import { datesBefore, Freshness, gapDates, knownUsers, ledgerFacts, zoneOffsets } from "./freshness";

const at = (iso: string) => Date.parse(iso) / 1000;
const quarter = (iso: string) => Math.floor(at(iso) / 900);

test("the dates before today are calendar days, across a month end and a DST change", () => {
  expect(datesBefore("2026-03-02", 3)).toEqual(["2026-03-01", "2026-02-28", "2026-02-27"]);
  expect(datesBefore("2026-03-30", 2)).toEqual(["2026-03-29", "2026-03-28"]);
});

test("gap days: covered clock hours per local day, from the first sample's day, today left out", () => {
  const quarters = [
    ...Array.from({ length: 24 }, (_, h) => quarter(`2026-01-20T${String(h).padStart(2, "0")}:10:00Z`)), // 24 h
    ...Array.from({ length: 12 }, (_, h) => quarter(`2026-01-21T${String(h).padStart(2, "0")}:50:00Z`)), // 12 h: enough
    ...Array.from({ length: 11 }, (_, h) => quarter(`2026-01-22T${String(h).padStart(2, "0")}:00:00Z`)), // 11 h: a gap
    // four quarters of one hour are one covered hour
    ...["00", "15", "30", "45"].map((m) => quarter(`2026-01-23T05:${m}:00Z`)),
    quarter("2026-01-31T03:00:00Z"), // today: not judged yet
  ];
  const gaps = gapDates(quarters, at("2026-01-20T00:00:00Z"), at("2026-01-31T10:00:00Z"), { timeZone: "UTC", coverageMinH: 12 });
  // 01-20 and 01-21 covered; 01-22 … 01-30 are gaps (9 days); nothing before the first sample
  expect(gaps).toEqual(["22", "23", "24", "25", "26", "27", "28", "29", "30"].map((d) => `2026-01-${d}`));
  expect(gapDates([], null, at("2026-01-31T10:00:00Z"), { timeZone: "UTC", coverageMinH: 12 })).toEqual([]);
});

test("gap days follow the local clock (Kolkata is UTC+5:30): 18:20Z and 18:35Z fall on two local days", () => {
  const quarters = [quarter("2026-01-20T18:20:00Z"), quarter("2026-01-20T18:35:00Z")];
  const settings = { timeZone: "Asia/Kolkata", coverageMinH: 1 };
  expect(gapDates(quarters, at("2026-01-20T18:20:00Z"), at("2026-01-22T06:00:00Z"), settings)).toEqual([]);
  // read in UTC both are on the 20th, and the 21st has nothing
  expect(gapDates(quarters, at("2026-01-20T18:20:00Z"), at("2026-01-22T06:00:00Z"), { ...settings, timeZone: "UTC" })).toEqual(["2026-01-21"]);
});

test("gap days across a DST change: 22:30Z after Berlin's spring change is 00:30 on the next local day", () => {
  // 2026-03-29 01:00Z Berlin goes from +1 h to +2 h; 22:30Z that evening is 00:30 CEST on 03-30 (23:30 in CET)
  const quarters = [quarter("2026-03-29T22:30:00Z")];
  const settings = { timeZone: "Europe/Berlin", coverageMinH: 1 };
  expect(gapDates(quarters, at("2026-03-29T22:30:00Z"), at("2026-03-31T10:00:00Z"), settings)).toEqual([]);
  const offsetAt = zoneOffsets(at("2026-03-01T00:00:00Z"), at("2026-03-31T00:00:00Z"), "Europe/Berlin");
  expect([offsetAt(at("2026-03-29T00:59:59Z")), offsetAt(at("2026-03-29T01:00:00Z"))]).toEqual([3600, 7200]);
});

test("per user from a real ledger: last sync, age, stale past the setting, samples held, gaps", () => {
  const ledger = new Ledger(":memory:");
  const bounds = [120, 140, 160, 180];
  // "me": 13 samples an hour apart on 01-30 from 00:00 (13 covered hours), synced 13 h before now
  const start = at("2026-01-30T00:00:00Z");
  ledger.ingest("me", Array.from({ length: 13 }, (_, i) => ({ ts: start + 3600 * i, bpm: 70, source: "watch", device: "w" })), bounds);
  const now = at("2026-01-31T12:00:00Z");
  ledger.setMeta("last_sync:me", String(now - 13 * 3600));
  ledger.setMeta("last_sync:partner", String(now - 3600));
  const clock = { now: new Date(now * 1000) };
  const freshness = new Freshness(ledger, ["me", "partner", "nobody"], { staleAfterS: 12 * 3600, coverageMinH: 12, timeZone: "UTC" }, () => clock.now);
  expect(freshness.all()).toEqual([
    { user: "me", last_sync: now - 13 * 3600, age_s: 13 * 3600, stale: true, gap_dates: [] },
    // partner synced but holds no heart rate: no first sample, so no gap days are judged
    { user: "partner", last_sync: now - 3600, age_s: 3600, stale: false, gap_dates: [] },
    { user: "nobody", last_sync: null, age_s: null, stale: false, gap_dates: [] },
  ]);
  // a day later (the scan is redone after a minute): 01-30 still covered, 01-31 had nothing
  clock.now = new Date((now + 86400) * 1000);
  expect(freshness.all()[0]).toEqual({ user: "me", last_sync: now - 13 * 3600, age_s: 37 * 3600, stale: true, gap_dates: ["2026-01-31"] });
  expect(ledgerFacts(ledger, "me")).toEqual({ firstTs: start, lastTs: start + 12 * 3600, samples: 13, lastSync: now - 13 * 3600 });
  expect(knownUsers(ledger)).toEqual(["me", "partner"]);
});
