import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WorkoutRecord } from "../ledger/records";
import { SqliteStore } from "./sqlite";
import { storeContract } from "./store.contract";
import { HeartRateDayStore } from "./sqlite-days";
import type { Credit } from "../transform/zones";

storeContract("embedded sqlite", { open: async () => new SqliteStore(":memory:"), settle: async () => {} });

const workouts = (n: number, km: number): WorkoutRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `w${i}`, type: "run", name: "Run", start: 1_700_000_000 + 3600 * i, end: 1_700_000_000 + 3600 * i + 1800,
    durationS: 1800, distanceKm: km, activeEnergyKcal: 100, avgHeartRate: 140, maxHeartRate: null,
  }));

describe("embedded store: a big family is swapped whole", () => {
  test("while 12,000 workouts replace 11,000, a summary sees the old family or the new one, never a mix", async () => {
    const store = new SqliteStore(":memory:");
    const update = (list: WorkoutRecord[]) => ({ user: "me", gauges: [], movedSeries: [], nights: null, workouts: list });
    await store.writeRecords(update(workouts(11_000, 1)));
    const seen = new Set<string>();
    let writing = true;
    let looks = 0;
    const watch = async () => {
      while (writing) {
        looks++;
        const { workouts: w } = await store.summary("me", 0, 2_000_000_000);
        seen.add(`${w.count}/${w.distance_m}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const watching = watch();
    await store.writeRecords(update(workouts(12_000, 2)));
    writing = false;
    await watching;
    // the write took several turns (the watcher ran in between), and only whole families were seen
    expect(looks).toBeGreaterThan(3);
    for (const s of seen) expect(["11000/11000000", "12000/24000000"]).toContain(s);
    expect((await store.summary("me", 0, 2_000_000_000)).workouts.count).toBe(12_000);
    await store.close();
  });

  test("a store written before generations opens with its nights and workouts, and the next write replaces them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sqlite-gen-"));
    const db = new Database(join(dir, "metrics.sqlite"));
    db.exec(`CREATE TABLE workout (user TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
        duration_s REAL NOT NULL, distance_km REAL, energy_kcal REAL, avg_hr REAL);
      CREATE INDEX workout_end ON workout (user, end);
      INSERT INTO workout VALUES ('me', 'run', 'Run', 100, 200, 100, 5, 50, 150), ('me', 'run', 'Run', 300, 400, 100, 5, 50, 150);`);
    db.close();
    const store = new SqliteStore(dir);
    expect((await store.summary("me", 0, 1000)).workouts.count).toBe(2);
    await store.writeRecords({ user: "me", gauges: [], movedSeries: [], nights: null, workouts: workouts(3, 1) });
    expect((await store.summary("me", 0, 2_000_000_000)).workouts.count).toBe(3);
    await store.close();
    const rows = new Database(join(dir, "metrics.sqlite")).query("SELECT COUNT(*) AS n FROM workout").get() as { n: number };
    expect(rows.n).toBe(3); // the old generation's rows are gone
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("embedded store: a rewrite splices the day it starts in", () => {
  test("rewrites from any instant leave the rows one whole write leaves", () => {
    const credits = (from: number, n: number, seed: number): Credit[] =>
      Array.from({ length: n }, (_, i) => ({ ts: from + 7 * i, bpm: 60 + ((i * seed) % 120), zone: (i * seed) % 5, seconds: i % 9 === 0 ? 61.5 : 7 }));
    const T = 1_767_225_600 - 3000;
    const final = credits(T, 1500, 3);
    const rows = (db: Database) => db.query("SELECT * FROM hr_day ORDER BY key").all();
    const whole = new Database(":memory:");
    const older = credits(T - 86_400, 3000, 5); // into the morning of T's day
    new HeartRateDayStore(whole).replaceFrom("me", T - 86_400, [...older.filter((c) => c.ts < T), ...final]);
    const spliced = new Database(":memory:");
    const days = new HeartRateDayStore(spliced);
    // an older history first, then rewrites from an instant held, one between two, one after all, and the day's start
    days.replaceFrom("me", T - 86_400, older);
    for (const since of [T + 7 * 700, T + 7 * 300 + 3, T + 7 * 1499 + 1, 1_767_225_600, T]) {
      days.replaceFrom("me", since, final.filter((c) => c.ts >= since));
    }
    expect(rows(spliced)).toEqual(rows(whole));
    // a rewrite that holds nothing keeps what is before it; a day left empty is gone
    const zoneSeconds = (list: Credit[]) => {
      const sums = { z1: 0, z2: 0, z3: 0, z4: 0, z5: 0 };
      for (const c of list) sums[`z${c.zone + 1}` as keyof typeof sums] += c.seconds;
      return sums;
    };
    days.replaceFrom("me", T + 7 * 10, []);
    expect(days.zoneSeconds("me", 0, 2e9)).toEqual(zoneSeconds([...older.filter((c) => c.ts < T), ...final.slice(0, 10)]));
    days.replaceFrom("me", T - 86_400, []);
    expect(rows(spliced)).toEqual([]);
  });

  test("syncs of the latest minutes, appended without walking the day, leave the rows one whole write leaves", () => {
    const T = 1_767_225_600 - 3000;
    const credits: Credit[] = Array.from({ length: 1200 }, (_, i) => ({ ts: T + 7 * i, bpm: 60 + ((i * 7) % 120), zone: (i * 3) % 5, seconds: i % 11 === 0 ? 0.1 + 0.2 : 7 }));
    const rows = (db: Database) => db.query("SELECT * FROM hr_day ORDER BY key").all();
    const whole = new Database(":memory:");
    new HeartRateDayStore(whole).replaceFrom("me", T, credits);
    const synced = new Database(":memory:");
    const days = new HeartRateDayStore(synced);
    for (let i = 0; i < credits.length; i += 60) {
      // a store written before the day's last instant was kept: its rows are walked as before
      if (i === 600) synced.exec("UPDATE hr_day SET last_ts = NULL WHERE key = (SELECT MAX(key) FROM hr_day)");
      days.replaceFrom("me", credits[i]!.ts, credits.slice(i, i + 60));
    }
    expect(rows(synced)).toEqual(rows(whole));
    // another connection (an import) rewrites the day meanwhile: the next sync splices what it committed
    const file = join(mkdtempSync(join(tmpdir(), "fitstack-days-")), "metrics.sqlite");
    const [mine, theirs] = [new Database(file), new Database(file)];
    const [ours, other] = [new HeartRateDayStore(mine), new HeartRateDayStore(theirs)];
    ours.replaceFrom("me", T, credits.slice(0, 600));
    other.replaceFrom("me", T, credits.slice(0, 300));
    ours.replaceFrom("me", credits[600]!.ts, credits.slice(600));
    const expected = new Database(":memory:");
    new HeartRateDayStore(expected).replaceFrom("me", T, [...credits.slice(0, 300), ...credits.slice(600)]);
    expect(rows(mine)).toEqual(rows(expected));
    mine.close();
    theirs.close();
    rmSync(join(file, ".."), { recursive: true, force: true });
    // a rewrite from the last instant itself replaces it
    const last = { ...credits.at(-1)!, bpm: 181, zone: 4 };
    days.replaceFrom("me", last.ts, [last]);
    new HeartRateDayStore(whole).replaceFrom("me", T, [...credits.slice(0, -1), last]);
    expect(rows(synced)).toEqual(rows(whole));
  });
});
