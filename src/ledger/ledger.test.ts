import { describe, expect, test } from "bun:test";
import type { HeartRateSample } from "../normalize/model";
import { sumZones, transformBatch, zoneBoundsBpm, type ZoneProfile } from "../transform/zones";
import { Ledger } from "./ledger";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function tempDir() {
  const path = mkdtempSync(join(tmpdir(), "fitstack-ledger-"));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

const profile: ZoneProfile = { mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] };
const bounds = zoneBoundsBpm(profile);
const NOW = 1_767_225_600;
const T0 = NOW - 86400;
const hr = (ts: number, bpm: number, source = "watch"): HeartRateSample => ({ ts, bpm, source, device: "" });

/** A deterministic pseudo-random stream, so a failure can be reproduced. */
export function rng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

describe("ledger", () => {
  test("the same payload twice counts once", () => {
    const ledger = new Ledger(":memory:");
    const samples = Array.from({ length: 121 }, (_, i) => hr(T0 + 5 * i, 130));
    const first = ledger.ingest("me", samples, bounds);
    const second = ledger.ingest("me", samples, bounds);
    expect([first.zoneSecondsAdded.z2, first.accepted, second.accepted, second.duplicates, second.zoneSecondsAdded.z2]).toEqual([
      600, 121, 0, 121, 0,
    ]);
  });

  test("a revised value for the same instant and source replaces the old one", () => {
    const ledger = new Ledger(":memory:");
    ledger.ingest("me", [hr(T0, 130), hr(T0 + 5, 130)], bounds);
    const revised = ledger.ingest("me", [hr(T0 + 5, 150)], bounds);
    // the 5 s move from z2 to z3
    expect(revised.zoneSecondsAdded).toEqual({ z1: 0, z2: -5, z3: 5, z4: 0, z5: 0 });
    expect(ledger.zoneRewrite("me", T0).credits.map((c) => c.bpm)).toEqual([130, 150]);
  });

  test("watch and phone at the same instants never double the seconds", () => {
    const ledger = new Ledger(":memory:");
    ledger.ingest("me", Array.from({ length: 61 }, (_, i) => hr(T0 + 10 * i, 130, "watch")), bounds);
    const phone = ledger.ingest("me", Array.from({ length: 61 }, (_, i) => hr(T0 + 10 * i, 131, "phone")), bounds);
    expect(sumZones(ledger.zoneRewrite("me", 0).credits).z2).toBe(600);
    expect(phone.zoneSecondsAdded.z2).toBe(0);
  });

  test("late, overlapping and reordered batches give exactly one transform over the union", () => {
    const random = rng(42);
    // three hours of mixed-cadence samples from two sources, with pauses
    const all: HeartRateSample[] = [];
    for (let ts = T0; ts < T0 + 3 * 3600; ts += 1 + Math.floor(random() * 20)) {
      if (random() < 0.01) ts += 900;
      all.push(hr(ts, 60 + Math.round(random() * 130), random() < 0.8 ? "watch" : "phone"));
    }
    const expected = transformBatch(all, profile, NOW);
    for (let round = 0; round < 5; round++) {
      const ledger = new Ledger(":memory:");
      // overlapping windows, like HAE's re-sends, posted in a shuffled order
      const batches: HeartRateSample[][] = [];
      for (let start = 0; start < all.length; start += 150) batches.push(all.slice(Math.max(0, start - 60), start + 150));
      batches.sort(() => random() - 0.5);
      for (const batch of batches) ledger.ingest("me", batch, bounds);
      const credits = ledger.zoneRewrite("me", 0).credits;
      expect(sumZones(credits)).toEqual(expected.zoneSeconds);
      expect(credits).toEqual(expected.credits);
    }
  });

  test("a rewrite in slices of whole UTC days: the first from `since` with its day's earlier credits, each with the instant before it", () => {
    const ledger = new Ledger(":memory:");
    const midnight = NOW;
    ledger.ingest("me", [0, 1, 2].flatMap((d) => [hr(midnight + d * 86400 + 5, 130), hr(midnight + d * 86400 + 10, 130), hr(midnight + d * 86400 + 15, 130)]), bounds);
    const slices = [...ledger.zoneRewrites("me", midnight + 10, 2)];
    // day 0 from +10 (its +5 before it), then day 1 and day 2 whole, each closed at its day's end once it holds 2
    expect(slices.map((s) => [s.since - midnight, (s.previousTs ?? 0) - midnight, s.earlier.map((c) => c.ts - midnight), s.credits.map((c) => c.ts - midnight)])).toEqual([
      [10, 5, [5], [10, 15]],
      [86400, 15, [], [86405, 86410, 86415]],
      [172800, 86415, [], [172805, 172810, 172815]],
    ]);
  });

  test("a late evening re-credits the next day's first instant", () => {
    const ledger = new Ledger(":memory:");
    const midnight = NOW; // 2026-01-01T00:00Z
    ledger.ingest("me", [hr(midnight + 5, 130), hr(midnight + 10, 130), hr(midnight + 86400, 150)], bounds);
    // midnight+5 starts the history (0 s); +10 earns 5; the next day's sample earns 10
    expect(sumZones(ledger.zoneRewrite("me", 0).credits)).toEqual({ z1: 0, z2: 5, z3: 10, z4: 0, z5: 0 });
    const late = ledger.ingest("me", [hr(midnight - 3, 130)], bounds);
    // midnight-3 starts the history instead; midnight+5 now earns 8 s
    expect(late.zoneSecondsAdded).toEqual({ z1: 0, z2: 8, z3: 0, z4: 0, z5: 0 });
    expect(sumZones(ledger.zoneRewrite("me", 0).credits)).toEqual({ z1: 0, z2: 13, z3: 10, z4: 0, z5: 0 });
    expect(ledger.zoneRewrite("me", midnight + 86400).previousTs).toBe(midnight + 10);
    expect(ledger.pending()).toEqual([{ user: "me", since: midnight - 3 }]);
  });

  test("sources SQLite stores as one text (lone surrogates) are one source, after a restart too", () => {
    using dir = tempDir();
    const ledger = new Ledger(dir.path);
    expect(ledger.ingest("me", [hr(T0, 130, "watch \ud800")], bounds).accepted).toBe(1);
    expect(ledger.ingest("me", [hr(T0 + 5, 130, "watch \udc00")], bounds).accepted).toBe(1);
    ledger.close();
    const reopened = new Ledger(dir.path);
    // the same key as the first sample, as the per-sample rows held it: a duplicate
    expect(reopened.ingest("me", [hr(T0, 130, "watch \udfff")], bounds).duplicates).toBe(1);
    expect(sumZones(reopened.zoneRewrite("me", 0).credits).z2).toBe(5);
    reopened.close();
  });

  test("pending marks the earliest changed instant until delivered", () => {
    const ledger = new Ledger(":memory:");
    ledger.ingest("me", [hr(T0 + 100, 130)], bounds);
    ledger.ingest("me", [hr(T0 + 50, 130)], bounds);
    expect(ledger.pending()).toEqual([{ user: "me", since: T0 + 50 }]);
    ledger.delivered("me", T0 + 50);
    expect(ledger.backlog()).toEqual({ users: 0, oldestPending: null });
  });
});

test("firstInstant: the earliest sample, gauge point, night or workout start of that user; null without data", () => {
  const ledger = new Ledger(":memory:");
  expect(ledger.firstInstant("me")).toBeNull();
  ledger.ingest("me", [hr(T0, 130)], bounds);
  expect(ledger.firstInstant("me")).toBe(T0);
  const night = { start: T0 - 9 * 3600, end: T0 - 3600, source: "watch", stageSeconds: { core: 28_800 } };
  const workout = { id: "W", name: "Run", start: T0 - 20 * 3600, end: T0 - 19 * 3600, durationS: 3600 };
  const gauge = { name: "hae_weight_body_mass", unit: "kg", ts: T0 - 30 * 3600, value: 70, source: "scale" };
  ledger.ingest("me", [], bounds, undefined, { gauges: [], sleep: [night], workouts: [] });
  expect(ledger.firstInstant("me")).toBe(T0 - 9 * 3600);
  ledger.ingest("me", [], bounds, undefined, { gauges: [], sleep: [], workouts: [workout] });
  expect(ledger.firstInstant("me")).toBe(T0 - 20 * 3600);
  ledger.ingest("me", [], bounds, undefined, { gauges: [gauge], sleep: [], workouts: [] });
  expect([ledger.firstInstant("me"), ledger.firstInstant("partner")]).toEqual([T0 - 30 * 3600, null]);
});

test("syncs of the latest minutes (appended to the day) leave the rows one batch of them all leaves", () => {
  const rand = rng(7);
  // two sources, a day boundary, a gap over the credit cap, and repeats inside a sync
  const samples: HeartRateSample[] = [];
  for (let ts = T0 - 3600; ts < T0 + 7200; ts += 5 + Math.floor(rand() * 3) * 60 * (rand() < 0.02 ? 10 : 0)) {
    samples.push(hr(ts, 60 + Math.floor(rand() * 120), rand() < 0.2 ? "phone" : "watch"));
    if (rand() < 0.05) samples.push(hr(ts, 61 + Math.floor(rand() * 120), "watch"));
  }
  // the mark of where the last sync was appended is a shortcut only, not part of the day
  const rows = (ledger: Ledger) => ledger.db.query("SELECT key, first_ts, last_ts, s0, s1, s2, s3, s4, samples, zones FROM hr_day ORDER BY key").all();
  const whole = new Ledger(":memory:");
  whole.ingest("me", samples, bounds);
  const synced = new Ledger(":memory:");
  for (let i = 0; i < samples.length; i += 60) {
    const sync = samples.slice(i, i + 60);
    synced.ingest("me", sync, bounds);
    // what a delivery reads right after the sync (walked from the mark) is what a ledger of the same samples in one batch gives
    const since = Math.min(...sync.map((s) => s.ts));
    const batch = new Ledger(":memory:");
    batch.ingest("me", samples.slice(0, i + 60), bounds);
    const [read, expected] = [synced.zoneRewrite("me", since), batch.zoneRewrite("me", since)];
    expect([read.previousTs, read.credits]).toEqual([expected.previousTs, expected.credits]);
  }
  expect(rows(synced)).toEqual(rows(whole));
  expect(synced.zoneRewrite("me", T0 - 3600).credits).toEqual(whole.zoneRewrite("me", T0 - 3600).credits);
  // and a rewrite starting inside a day: the instant before it, the day's credits before it, the credits from it
  const mid = samples[400]!.ts;
  const rewrite = synced.zoneRewrite("me", mid);
  const all = whole.zoneRewrite("me", T0 - 3600).credits;
  expect(rewrite.credits).toEqual(all.filter((c) => c.ts >= mid));
  expect(rewrite.previousTs).toBe(all.filter((c) => c.ts < mid).at(-1)!.ts);
  expect(rewrite.earlier).toEqual(all.filter((c) => c.ts < mid && Math.floor(c.ts / 86400) === Math.floor(mid / 86400)));
});

test("what a sync just appended is read back from memory only while the table still holds it", async () => {
  using dir = tempDir();
  const [server, importer] = [new Ledger(dir.path), new Ledger(dir.path)];
  const sync = (from: number, bpm: number) => Array.from({ length: 12 }, (_, i) => hr(from + 5 * i, bpm));
  const fresh = (samples: HeartRateSample[], since: number) => {
    const ledger = new Ledger(":memory:");
    ledger.ingest("me", samples, bounds);
    return ledger.zoneRewrite("me", since);
  };
  server.ingest("me", sync(T0, 130), bounds);
  server.ingest("me", sync(T0 + 60, 130), bounds);
  // another process (import) revises those instants meanwhile: the delivery reads its commit, not the memory
  importer.ingest("me", sync(T0 + 60, 185).map((s) => ({ ...s, source: "a strap" })), bounds);
  const union = [...sync(T0, 130), ...sync(T0 + 60, 130), ...sync(T0 + 60, 185).map((s) => ({ ...s, source: "a strap" }))];
  expect(server.zoneRewrite("me", T0 + 60).credits).toEqual(fresh(union, T0 + 60).credits);
  // a sync whose transaction is rolled back (its raw append failed) leaves nothing behind, in memory either
  await expect(
    server.atomically(async () => {
      server.ingest("me", sync(T0 + 120, 150), bounds);
      throw new Error("disk full");
    }),
  ).rejects.toThrow("disk full");
  expect(server.zoneRewrite("me", T0 + 120).credits).toEqual([]);
  server.ingest("me", sync(T0 + 120, 150), bounds);
  expect(server.zoneRewrite("me", T0 + 120)).toMatchObject(fresh([...union, ...sync(T0 + 120, 150)], T0 + 120));
  server.close();
  importer.close();
});
