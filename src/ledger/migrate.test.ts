import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deliverPending } from "../pipeline";
import { SqliteStore } from "../store/sqlite";
import { sumZones, zoneBoundsBpm, ZONES } from "../transform/zones";
import { Ledger } from "./ledger";

// tests/fixtures/ledger-v1: a DATA_DIR written by the per-sample-row layout (users alice, delivered, and
// bob, still pending), two sources, two devices, a revision, a UTC midnight inside the data
const FIXTURE = join(import.meta.dir, "../../tests/fixtures/ledger-v1");
const bounds = zoneBoundsBpm({ mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] });

function copyFixture() {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-migrate-"));
  cpSync(FIXTURE, dir, { recursive: true });
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What the old layout held, read straight from its tables. */
function heldBefore(dir: string) {
  const db = new Database(join(dir, "ledger.sqlite"), { readonly: true });
  try {
    const totals: Record<string, Record<string, number>> = {};
    for (const row of db.query<{ user: string; zone: number; seconds: number }, []>("SELECT user, zone, SUM(seconds) AS seconds FROM credit GROUP BY user, zone").all()) {
      (totals[row.user] ??= { z1: 0, z2: 0, z3: 0, z4: 0, z5: 0 })[ZONES[row.zone]!] = row.seconds;
    }
    const samples = db.query<{ ts: number; bpm: number; source: string; device: string }, [string]>(
      "SELECT ts, bpm, source, device FROM hr_sample WHERE user = ? ORDER BY ts, source, device",
    );
    const credits = db.query<{ ts: number; bpm: number; zone: number; seconds: number }, [string]>("SELECT ts, bpm, zone, seconds FROM credit WHERE user = ? ORDER BY ts");
    return {
      totals,
      samples: { alice: samples.all("alice"), bob: samples.all("bob") },
      credits: { alice: credits.all("alice"), bob: credits.all("bob") },
      pending: db.query("SELECT user, since FROM pending").all(),
    };
  } finally {
    db.close();
  }
}

describe("upgrade in place", () => {
  test("a ledger with one row per sample opens with the same timeline, totals and backlog, and nothing counts twice", async () => {
    using data = copyFixture();
    const before = heldBefore(data.dir);
    const ledger = new Ledger(data.dir);
    try {
      for (const user of ["alice", "bob"] as const) {
        const credits = ledger.zoneRewrite(user, 0).credits;
        expect(credits).toEqual(before.credits[user]);
        expect(sumZones(credits)).toEqual(before.totals[user]!);
        expect(ledger.zoneRewrite(user, credits.at(-1)!.ts + 1).previousTs).toBe(credits.at(-1)!.ts);
        // every old sample posted again is a duplicate: nothing was lost or counted twice
        const again = ledger.ingest(user, before.samples[user], bounds);
        expect([again.accepted, again.duplicates, again.changedFrom]).toEqual([0, before.samples[user].length, null]);
      }
      expect(ledger.pending()).toEqual(before.pending as { user: string; since: number }[]);
      const tables = ledger.db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('hr_sample', 'credit', 'zone_total')").all();
      expect(tables).toEqual([]);
    } finally {
      ledger.close();
    }
  });

  test("the embedded store keeps its answers, and delivering the pending user adds exactly the ledger's totals", async () => {
    using data = copyFixture();
    const before = heldBefore(data.dir);
    const store = new SqliteStore(data.dir);
    const ledger = new Ledger(data.dir);
    try {
      const wide = [0, 2_000_000_000] as const;
      // alice was delivered before the upgrade; bob only after it
      expect((await store.summary("alice", ...wide)).zone_seconds).toEqual(before.totals.alice!);
      expect((await store.summary("alice", ...wide)).last_heart_rate).toEqual({ ts: before.credits.alice.at(-1)!.ts, bpm: before.credits.alice.at(-1)!.bpm });
      expect((await store.summary("bob", ...wide)).zone_seconds).toEqual({ z1: 0, z2: 0, z3: 0, z4: 0, z5: 0 });
      await deliverPending(ledger, store, 97);
      expect((await store.summary("bob", ...wide)).zone_seconds).toEqual(before.totals.bob!);
      expect((await store.summary("alice", ...wide)).zone_seconds).toEqual(before.totals.alice!);
      // a stretch across the fixture's UTC midnight (1767225600), by hand from the old credits
      const [from, to] = [1767225600 - 1800, 1767225600 + 1800];
      const expected = { z1: 0, z2: 0, z3: 0, z4: 0, z5: 0 };
      for (const c of before.credits.bob) if (c.ts > from && c.ts <= to) expected[ZONES[c.zone]!] += c.seconds;
      expect((await store.summary("bob", from, to)).zone_seconds).toEqual(expected);
    } finally {
      ledger.close();
      await store.close();
    }
  });
});
