// Health Auto Export fixtures end to end: the real server over HTTP, on the embedded store and on a real
// VictoriaMetrics. Every expected number is worked out by hand (see fixtures/hae/README.md for the fixtures').
// One TOKENS_FILE user per case keeps the cases' series apart inside one server per store.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type ServerProcess } from "../support/process";
import { onBothStores, type VmProcess } from "../support/vm";

const SECRET = "hae-e2e-secret";
const USERS = [
  "seed", "hrday", "daily", "grow", "growday", "week-once", "week-resent", "sleep-a", "sleep-b", "sleep-c",
  "wk-v1", "wk-v2", "dst-24h", "dst-12h-u202f", "dst-12h-space", "hostile",
] as const;
type User = (typeof USERS)[number];
const tokenOf = (user: User) => `tok-${user}-0123456789abcdef`;
const ZERO = { z1: 0, z2: 0, z3: 0, z4: 0, z5: 0 };
const NO_WORKOUTS = { count: 0, distance_m: 0, duration_s: 0, active_energy_kcal: 0 };
const fixture = (path: string) => Bun.file(new URL(`../../fixtures/${path}`, import.meta.url)).text();

/** Numbers rounded to 3 decimals all the way down: kJ→kcal and mi→km are not exact in binary. */
function rounded<T>(value: T): T {
  if (typeof value === "number") return (Math.round(value * 1000) / 1000) as T;
  if (Array.isArray(value)) return value.map(rounded) as T;
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)])) as T;
  return value;
}

/** "2026-03-12 07:00:00 +0100" for a unix second, as HAE writes it at a fixed offset. */
function haeDate(ts: number, offsetHours = 1): string {
  const d = new Date((ts + offsetHours * 3600) * 1000).toISOString();
  return `${d.slice(0, 10)} ${d.slice(11, 19)} +${String(offsetHours).padStart(2, "0")}00`;
}
/** Unix seconds of a Europe/Berlin winter-time (+0100) wall clock. */
const berlin = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => Date.UTC(y, mo - 1, d, h, mi, s) / 1000 - 3600;

type Kind = "sqlite" | "victoriametrics";

function haeSuite(kind: Kind, extraEnv: () => Record<string, string>, vmOf?: () => VmProcess) {
  describe(`HAE fixtures on ${kind}`, () => {
    let server: ServerProcess;
    let dataDir: string;
    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), "fitstack-hae-"));
      const tokens = join(dataDir, "tokens");
      writeFileSync(tokens, USERS.map((u) => `${tokenOf(u)} ${u}`).join("\n") + "\n");
      server = await startServer({ TOKENS_FILE: tokens, SECRET_PATH: SECRET, DATA_DIR: dataDir, ...extraEnv() });
    });
    afterAll(async () => {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const post = async (user: User, body: string) => {
      const res = await fetch(`${server.url}/hook/${SECRET}`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokenOf(user)}`, "content-type": "application/json" },
        body,
      });
      return { status: res.status, ...((await res.json()) as any) };
    };
    const summary = async (user: User, from: number, to: number) => {
      await vmOf?.().flush();
      const res = await fetch(`${server.url}/api/summary?from=${from}&to=${to}`, { headers: { authorization: `Bearer ${tokenOf(user)}` } });
      expect(res.status).toBe(200);
      return rounded((await res.json()) as any);
    };
    /** A query against VM itself, one number per series keyed by `by` (uncached, after a flush). */
    const vmValues = async (expr: string, time: number, by: string) => {
      const vm = vmOf!();
      await vm.flush();
      const out: Record<string, number> = {};
      for (const item of await vm.query(expr, time)) out[item.metric[by] ?? ""] = rounded(Number(item.value[1]));
      return out;
    };
    /** Label sets of the series VM holds for `match` (any time since 2026-01-01). */
    const vmSeries = async (match: string) => {
      await vmOf!().flush();
      const params = new URLSearchParams({ "match[]": match, start: "1767225600", end: String(Math.floor(Date.now() / 1000)) });
      const body = (await (await fetch(`${vmOf!().url}/api/v1/series?${params}`)).json()) as { data: Record<string, string>[] };
      return body.data;
    };
    const metricsDb = () => new Database(join(dataDir, "metrics.sqlite"), { readonly: true });

    /** Per stored gauge series ("name|unit"): sum, count and last value at from < ts <= to, from the store itself. */
    const gauges = async (user: User, from: number, to: number) => {
      const out: Record<string, { sum: number; count: number; last: number }> = {};
      if (vmOf) {
        // one query per metric name: VM drops __name__ from *_over_time results, so several names would collide
        const names = new Set((await vmSeries(`{__name__=~"hae_.+",user="${user}"}`)).map((labels) => labels.__name__!));
        for (const name of names) {
          const sel = `${name}{user="${user}"}[${to - from}s]`;
          const [sums, counts, lasts] = await Promise.all(
            ["sum_over_time", "count_over_time", "last_over_time"].map((fn) => vmValues(`${fn}(${sel})`, to, "unit")),
          );
          for (const unit of Object.keys(sums!)) out[`${name}|${unit}`] = { sum: sums![unit]!, count: counts![unit]!, last: lasts![unit]! };
        }
      } else {
        const db = metricsDb();
        try {
          const rows = db
            .query<{ name: string; unit: string; sum: number; count: number; last: number }, [string, number, number]>(
              `SELECT name, unit, SUM(value) AS sum, COUNT(*) AS count,
                 (SELECT value FROM gauge g2 WHERE g2.user = g.user AND g2.name = g.name AND g2.ts > ?2 AND g2.ts <= ?3 ORDER BY ts DESC LIMIT 1) AS last
               FROM gauge g WHERE user = ?1 AND ts > ?2 AND ts <= ?3 GROUP BY name, unit`,
            )
            .all(user, from, to);
          for (const row of rows) out[`${row.name}|${row.unit}`] = { sum: row.sum, count: row.count, last: row.last };
        } finally {
          db.close();
        }
      }
      return rounded(out);
    };

    /** Sleep seconds per stage of the nights ending in (from, to], from the store itself. */
    const sleepTotals = async (user: User, from: number, to: number) => {
      if (vmOf) return vmValues(`increase(sleep_stage_seconds_total{user="${user}"}[${to - from}s])`, to, "stage");
      const db = metricsDb();
      try {
        const totals: Record<string, number> = { deep: 0, core: 0, rem: 0, awake: 0, asleep: 0, in_bed: 0 };
        const rows = db.query<{ stages: string }, [string, number, number]>("SELECT stages FROM night WHERE user = ? AND end > ? AND end <= ?").all(user, from, to);
        for (const row of rows) for (const [stage, s] of Object.entries(JSON.parse(row.stages) as Record<string, number>)) totals[stage]! += s;
        return totals;
      } finally {
        db.close();
      }
    };

    /** Zone seconds at from < ts <= to as VM itself answers increase(); on SQLite the summary is the store's answer. */
    const vmZones = async (user: User, from: number, to: number) =>
      vmOf ? { ...ZERO, ...(await vmValues(`increase(zone_seconds_total{user="${user}"}[${to - from}s])`, to, "zone")) } : null;
    const expectVmZones = async (user: User, from: number, to: number, zones: Partial<typeof ZERO>) => {
      const got = await vmZones(user, from, to);
      if (got) expect(got).toEqual({ ...ZERO, ...zones });
    };

    test("realish/hr_z2_10min.json: the seed's 10-minute block in HAE shape is exactly 600 s of z2", async () => {
      // 121 points 5 s apart at 130 bpm (65 % of 200 → z2) from 2026-01-01 10:00:00 +0100 = 1767258000: 120 × 5 s = 600 s
      const first = await post("seed", await fixture("realish/hr_z2_10min.json"));
      expect([first.status, first.shape, first.accepted_samples, first.zone_seconds_added, first.delivered]).toEqual([200, "hae", 121, { ...ZERO, z2: 600 }, true]);
      const again = await post("seed", await fixture("realish/hr_z2_10min.json"));
      expect([again.accepted_samples, again.duplicates_dropped, again.zone_seconds_added]).toEqual([0, 121, ZERO]);
      await expectVmZones("seed", 1767258600 - 3600, 1767258600, { z2: 600 });
      expect(await summary("seed", 1767257000, 1767258600)).toMatchObject({
        zone_seconds: { ...ZERO, z2: 600 },
        last_heart_rate: { ts: 1767258600, bpm: 130 },
      });
    });

    test("heart-rate-day.json: watch and phone merge into one timeline; at a shared instant the watch wins", async () => {
      const res = await post("hrday", await fixture("hae/heart-rate-day.json"));
      // 22 points, all distinct (instant, source); zones worked out in fixtures/hae/README.md
      expect([res.status, res.accepted_samples, res.duplicates_dropped]).toEqual([200, 22, 0]);
      const day = { z1: 10, z2: 56, z3: 14, z4: 10, z5: 14 };
      expect(res.zone_seconds_added).toEqual(day);
      const [from, to] = [berlin(2026, 3, 10), berlin(2026, 3, 11)];
      expect(await summary("hrday", from, to)).toEqual({
        user: "hrday", from, to, zone_seconds: day,
        // 21:00:04 +0100 from the phone
        last_heart_rate: { ts: 1773172804, bpm: 185 },
        resting_heart_rate: null, workouts: NO_WORKOUTS, last_workout: null, last_sleep: null,
      });
      await expectVmZones("hrday", from, to, day);
      // (07:00:10, 07:00:20]: phone-only 07:00:12 (150 → z3, 2 s), watch 07:00:15 (3 s) and 07:00:20 (5 s, the phone's 92 there loses)
      const [a, b] = [berlin(2026, 3, 10, 7, 0, 10), berlin(2026, 3, 10, 7, 0, 20)];
      expect(await summary("hrday", a, b)).toMatchObject({ zone_seconds: { ...ZERO, z2: 8, z3: 2 }, last_heart_rate: { ts: b, bpm: 125 } });
      await expectVmZones("hrday", a, b, { z2: 8, z3: 2 });
      const again = await post("hrday", await fixture("hae/heart-rate-day.json"));
      expect([again.accepted_samples, again.duplicates_dropped, again.zone_seconds_added]).toEqual([0, 22, ZERO]);
    });

    test("daily-metrics.json: gauges land at their instants with normalised units; the least source wins an instant", async () => {
      const res = await post("daily", await fixture("hae/daily-metrics.json"));
      // 2 resting + 3 steps + distance + energy + temperature + weight + systolic + diastolic
      expect([res.status, res.records]).toEqual([200, { gauges: 11, nights: 0, workouts: 0, changed: 11, dropped: 0 }]);
      const [from, to] = [berlin(2026, 3, 9) - 1, berlin(2026, 3, 11)];
      expect(await gauges("daily", from, to)).toEqual({
        "hae_resting_heart_rate|count/min": { sum: 106, count: 2, last: 52 },
        // 03-09: 7000 (phone only); 03-10: watch 8412 beats phone 9120 ("Ana’s Apple Watch" < "Ana’s iPhone")
        "hae_step_count|count": { sum: 15412, count: 2, last: 8412 },
        "hae_walking_running_distance|km": { sum: 4.989, count: 1, last: 4.989 }, // 3.1 mi × 1.609344
        "hae_active_energy|kcal": { sum: 500, count: 1, last: 500 }, // 2092 kJ / 4.184
        "hae_body_temperature|degC": { sum: 37, count: 1, last: 37 }, // (98.6 − 32) × 5/9
        "hae_weight_body_mass|kg": { sum: 69.853, count: 1, last: 69.853 }, // 154 lb × 0.45359237
        "hae_blood_pressure_systolic|mmHg": { sum: 121, count: 1, last: 121 },
        "hae_blood_pressure_diastolic|mmHg": { sum: 79, count: 1, last: 79 },
      });
      // resting HR: the latest in range is 03-10 00:00 +0100
      expect((await summary("daily", from, to)).resting_heart_rate).toEqual({ ts: 1773097200, bpm: 52 });
      expect((await summary("daily", from, berlin(2026, 3, 10) - 1)).resting_heart_rate).toEqual({ ts: 1773010800, bpm: 54 });
      const again = await post("daily", await fixture("hae/daily-metrics.json"));
      expect(again.records.changed).toBe(0);
    });

    test("steps-growing/*.json: an open bucket re-sent with a bigger qty replaces its value (412 + 1030 + 413)", async () => {
      const changed: number[] = [];
      for (const name of ["10-05", "10-20", "10-40", "11-00"]) changed.push((await post("grow", await fixture(`hae/steps-growing/${name}.json`))).records.changed);
      // first snapshot: 3 new buckets; then only the open 10:00 bucket changes
      expect(changed).toEqual([3, 1, 1, 1]);
      const to = berlin(2026, 3, 11, 10); // the open bucket's instant
      expect(await gauges("grow", to - 86400, to)).toEqual({ "hae_step_count|count": { sum: 1855, count: 3, last: 413 } });
    });

    test("a simulated day of 'today so far' every 5 minutes gives exactly the final bucket values", async () => {
      // 2026-03-12 (+0100), hourly buckets; bucket h ends at final[h] = 100(h+1) + 7; at minute t of the day the payload
      // holds every bucket started before t, the open one at final × (minutes into it)/60. Σ final = 100·300 + 7·24 = 30168.
      const dayStart = berlin(2026, 3, 12);
      const final = (h: number) => 100 * (h + 1) + 7;
      const payload = (t: number) => {
        const open = Math.floor((t - 1) / 60);
        const data = Array.from({ length: open + 1 }, (_, h) => ({
          date: haeDate(dayStart + h * 3600),
          qty: h < open ? final(h) : Math.round((final(h) * (t - 60 * h)) / 60),
          source: "Ana’s Apple Watch",
        }));
        return JSON.stringify({ data: { metrics: [{ name: "step_count", units: "count", data }] } });
      };
      for (let t = 5; t <= 1440; t += 5) expect((await post("growday", payload(t))).status).toBe(200);
      // window (dayStart − 1, dayStart + 86399]: all 24 buckets, one value each
      expect(await gauges("growday", dayStart - 1, dayStart + 86399)).toEqual({ "hae_step_count|count": { sum: 30168, count: 24, last: 2407 } });
    }, 60_000);

    test("posting the last 7 days on every sync gives the same totals as posting each day once", async () => {
      // 10 days from 2026-03-13 (+0100). Day i: steps 5000 + 100i, resting HR 50 + i (both at local midnight), 13 HR points
      // at 150 bpm (z3) from 12:00:00, 5 s apart, and a 30-minute 5 km run (300 kcal) at 18:00.
      const day = (i: number) => {
        const start = berlin(2026, 3, 13 + i);
        return {
          metrics: [
            { name: "step_count", units: "count", data: [{ date: haeDate(start), qty: 5000 + 100 * i, source: "Ana’s iPhone" }] },
            { name: "resting_heart_rate", units: "count/min", data: [{ date: haeDate(start), qty: 50 + i }] },
            {
              name: "heart_rate", units: "count/min",
              data: Array.from({ length: 13 }, (_, k) => ({ date: haeDate(start + 43200 + 5 * k), Min: 150, Avg: 150, Max: 150, source: "Ana’s Apple Watch" })),
            },
          ],
          workouts: [{
            id: `RUN-0000-${i}`, name: "Outdoor Run", start: haeDate(start + 64800), end: haeDate(start + 66600), duration: 1800,
            distance: { qty: 5, units: "km" }, activeEnergyBurned: { qty: 300, units: "kcal" }, heartRate: { avg: { qty: 150, units: "bpm" } },
          }],
        };
      };
      const payload = (days: number[]) => {
        const parts = days.map(day);
        const metrics = [0, 1, 2].map((m) => ({ ...parts[0]!.metrics[m]!, data: parts.flatMap((p) => p.metrics[m]!.data) }));
        return JSON.stringify({ data: { metrics, workouts: parts.flatMap((p) => p.workouts) } });
      };
      const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, k) => a + k);
      for (let d = 0; d < 10; d++) expect((await post("week-once", payload([d]))).accepted_samples).toBe(13);
      const resent: number[] = [];
      for (let d = 0; d < 10; d++) resent.push((await post("week-resent", payload(range(Math.max(0, d - 6), d)))).accepted_samples);
      // each sync brings 13 new HR samples; the rest of its 7 days are duplicates
      expect(resent).toEqual(Array(10).fill(13));

      const [from, to] = [berlin(2026, 3, 13) - 1, berlin(2026, 3, 23)];
      const last = berlin(2026, 3, 22);
      const workoutTotals: Record<string, unknown> = {};
      for (const user of ["week-once", "week-resent"] as const) {
        const got = await summary(user, from, to);
        workoutTotals[user] = got.workouts;
        expect({ ...got, workouts: undefined, last_workout: { ...got.last_workout, name: undefined } }).toEqual({
          user, from, to,
          // day 0: 12 × 5 s (its first sample is the user's first: 0 s); days 1–9: 10 s (capped gap) + 60 s → 60 + 9 × 70
          zone_seconds: { ...ZERO, z3: 690 },
          last_heart_rate: { ts: last + 43260, bpm: 150 },
          resting_heart_rate: { ts: last, bpm: 59 },
          workouts: undefined,
          last_workout: { type: "run", name: undefined, start: last + 64800, end: last + 66600, duration_s: 1800, avg_heart_rate: 150 },
          last_sleep: null,
        });
        // Σ (5000 + 100i), i = 0..9 = 50000 + 4500
        expect((await gauges(user, from, to))["hae_step_count|count"]).toEqual({ sum: 54500, count: 10, last: 5900 });
        await expectVmZones(user, from, to, { z3: 690 });
        if (vmOf) expect(await vmValues(`increase(workouts_total{user="${user}"}[${to - from}s])`, to, "type")).toEqual({ run: 10 });
      }
      const week = { count: 10, distance_m: 50000, duration_s: 18000, active_energy_kcal: 3000 };
      expect(workoutTotals).toEqual({ "week-once": week, "week-resent": week });
    }, 30_000);

    test("sleep-old-aggregated.json (shape A): asleep is all sleep, the night spans in-bed start to end", async () => {
      const res = await post("sleep-a", await fixture("hae/sleep-old-aggregated.json"));
      expect([res.status, res.records.nights]).toEqual([200, 1]);
      // 2026-03-01 23:00 +0100 (inBedStart) → 2026-03-02 06:15 +0100 (inBedEnd); asleep 6.5 h, inBed 7.25 h
      const night = { deep: 0, core: 0, rem: 0, awake: 0, asleep: 23400, in_bed: 26100 };
      const [from, to] = [1772428500 - 86400, 1772428500 + 3600];
      expect((await summary("sleep-a", from, to)).last_sleep).toEqual({ start: 1772402400, end: 1772428500, stage_seconds: night });
      expect(await sleepTotals("sleep-a", from, to)).toEqual(night);
    });

    test("sleep-new-aggregated.json (shape B): stages in hours; a stageless source's `asleep` is unstaged sleep", async () => {
      const res = await post("sleep-b", await fixture("hae/sleep-new-aggregated.json"));
      expect([res.status, res.records.nights]).toEqual([200, 2]);
      const [from, to] = [1772603100 - 86400, 1772685000 + 3600];
      // night 2 (Hume): 2026-03-04 23:30 → 03-05 05:30 +0100, asleep 6 h, inBed 6 h
      expect((await summary("sleep-b", from, to)).last_sleep).toEqual({
        start: 1772663400, end: 1772685000, stage_seconds: { deep: 0, core: 0, rem: 0, awake: 0, asleep: 21600, in_bed: 21600 },
      });
      // night 1 alone: 22:45 → 06:45, deep 1.5 h, core 3.75 h, rem 2.25 h, awake 0.25 h, inBed 8 h
      expect((await summary("sleep-b", from, 1772603100)).last_sleep).toEqual({
        start: 1772574300, end: 1772603100, stage_seconds: { deep: 5400, core: 13500, rem: 8100, awake: 900, asleep: 0, in_bed: 28800 },
      });
      expect(await sleepTotals("sleep-b", from, to)).toEqual({ deep: 5400, core: 13500, rem: 8100, awake: 900, asleep: 21600, in_bed: 50400 });
    });

    test("sleep-segments.json (shape C): stages summed per night, In Bed apart, a duplicate segment once, a nap its own night", async () => {
      const res = await post("sleep-c", await fixture("hae/sleep-segments.json"));
      expect([res.status, res.records.nights, res.ignored]).toEqual([200, 2, {}]);
      const [from, to] = [1772863200 - 86400, 1772890200 + 3600];
      expect((await summary("sleep-c", from, to)).last_sleep).toEqual({
        start: 1772888400, end: 1772890200, stage_seconds: { deep: 0, core: 0, rem: 0, awake: 0, asleep: 1800, in_bed: 0 },
      });
      // core 1.5 h + 3 h (the repeated 02:40–05:40 segment once), deep 1 h, rem 50 + 60 min, awake 2 × 10 min, in bed 8 h
      expect((await summary("sleep-c", from, 1772863200)).last_sleep).toEqual({
        start: 1772834400, end: 1772863200, stage_seconds: { deep: 3600, core: 16200, rem: 6600, awake: 1200, asleep: 0, in_bed: 28800 },
      });
      expect(await sleepTotals("sleep-c", from, to)).toEqual({ deep: 3600, core: 16200, rem: 6600, awake: 1200, asleep: 1800, in_bed: 28800 });
    });

    test("workouts-v1.json: legacy totals are converted and the workout is keyed by name + start", async () => {
      const res = await post("wk-v1", await fixture("hae/workouts-v1.json"));
      // 3 HR points 5 s apart at 125 (z2): 0 + 5 + 5
      expect([res.status, res.records.workouts, res.accepted_samples, res.zone_seconds_added]).toEqual([200, 1, 3, { ...ZERO, z2: 10 }]);
      expect((await post("wk-v1", await fixture("hae/workouts-v1.json"))).records.changed).toBe(0);
      const [from, to] = [1772959500 - 3600, 1772959500];
      expect(await summary("wk-v1", from, to)).toEqual({
        user: "wk-v1", from, to,
        zone_seconds: { ...ZERO, z2: 10 },
        last_heart_rate: { ts: 1772957410, bpm: 125 },
        resting_heart_rate: null,
        // 2.5 mi = 4023.36 m; 836.8 kJ = 200 kcal (activeEnergy, not totalEnergy); no duration: end − start = 45 min
        workouts: { count: 1, distance_m: 4023.36, duration_s: 2700, active_energy_kcal: 200 },
        last_workout: { type: "walk", name: kind === "sqlite" ? "Walking" : "walk", start: 1772956800, end: 1772959500, duration_s: 2700, avg_heart_rate: 112 },
        last_sleep: null,
      });
    });

    test("workouts-v2*.json: merged by id, a partial re-send keeps the distance, workout HR counts once, recovery series never", async () => {
      const res = await post("wk-v2", await fixture("hae/workouts-v2.json"));
      // run: 5 per-minute points, 0 (first) + 10 z3 (145.5) + 10 z4 (162) + 10 z4 (171) + 10 z5 (183);
      // strength: its 3 points are the recovery series (flat, from `end` on), so they are ignored
      expect([res.status, res.accepted_samples, res.zone_seconds_added, res.ignored, res.records.workouts]).toEqual([
        200, 5, { ...ZERO, z3: 10, z4: 20, z5: 10 }, { "workouts.heartRateData:recovery": 3 }, 2,
      ]);
      // the same instants as plain heart_rate points (same source and values) add nothing
      const hr = await post("wk-v2", await fixture("hae/heart-rate-during-run.json"));
      expect([hr.accepted_samples, hr.duplicates_dropped, hr.zone_seconds_added]).toEqual([0, 5, ZERO]);
      // the run again, without distance, HR, route or steps: nothing changes
      const partial = await post("wk-v2", await fixture("hae/workouts-v2-partial.json"));
      expect([partial.status, partial.records]).toEqual([200, { gauges: 0, nights: 0, workouts: 1, changed: 0, dropped: 0 }]);

      const [from, to] = [1773075600 - 3600, 1773082800];
      // nothing at or after the strength workout's end: the recovery points (20:00–20:02 +0100) were not stored
      expect((await summary("wk-v2", 1773082799, 1773082800 + 3600)).last_heart_rate).toBeNull();
      await expectVmZones("wk-v2", from, to + 3600, { z3: 10, z4: 20, z5: 10 });
      if (vmOf) expect(await vmValues(`increase(workouts_total{user="wk-v2"}[1d])`, to, "type")).toEqual({ run: 1, strength: 1 });
      expect(await summary("wk-v2", from, to)).toEqual({
        user: "wk-v2", from, to,
        zone_seconds: { ...ZERO, z3: 10, z4: 20, z5: 10 },
        last_heart_rate: { ts: 1773075900, bpm: 183 },
        resting_heart_rate: null,
        // run 5.2 km, 1800 s, 350 kcal + strength 3600 s, 250 kcal
        workouts: { count: 2, distance_m: 5200, duration_s: 5400, active_energy_kcal: 600 },
        last_workout: {
          type: "strength", name: kind === "sqlite" ? "Traditional Strength Training" : "strength",
          start: 1773079200, end: 1773082800, duration_s: 3600, avg_heart_rate: 118,
        },
        last_sleep: null,
      });
      if (vmOf) expect(await vmValues(`increase(workout_distance_meters_total{user="wk-v2"}[1d])`, to, "type")).toEqual({ run: 5200, strength: 0 });
    });

    for (const [user, file] of [["dst-24h", "dst-24h"], ["dst-12h-u202f", "dst-12h-u202f"], ["dst-12h-space", "dst-12h-space"]] as const) {
      test(`${file}.json: the Berlin DST change and the 12-hour form land at exact instants`, async () => {
        const res = await post(user, await fixture(`hae/${file}.json`));
        // 00:30 +0100 (= 12:30 am) first: 0; 01:59:40: 10 (capped); 01:59:50 +0100 → 03:00:00 +0200 is 10 s; 03:00:05: 5;
        // 12:00 +0200 (= 12:00 pm) at 161 bpm (z4): 10 (capped)
        expect([res.status, res.accepted_samples, res.zone_seconds_added]).toEqual([200, 6, { ...ZERO, z2: 35, z4: 10 }]);
        const all = await summary(user, 1774740600 - 1, 1774778400);
        expect([all.zone_seconds, all.last_heart_rate]).toEqual([{ ...ZERO, z2: 35, z4: 10 }, { ts: 1774778400, bpm: 161 }]);
        // exactly one instant in (01:59:50 +0100, 01:59:50 +0100 + 10 s]: 03:00:00 +0200 = 2026-03-29T01:00:00Z
        const seam = await summary(user, 1774745990, 1774746000);
        expect([seam.zone_seconds, seam.last_heart_rate]).toEqual([{ ...ZERO, z2: 10 }, { ts: 1774746000, bpm: 130 }]);
        // 12:30 am +0100 is 2026-03-28T23:30:00Z, not noon
        expect((await summary(user, 1774740599, 1774740600)).last_heart_rate).toEqual({ ts: 1774740600, bpm: 130 });
        if (vmOf) {
          // VM stamps second s at s − 0.999 (+ generation ms): the ceiling is the instant
          const last = await vmValues(`tlast_over_time(heart_rate_bpm{user="${user}"}[10s])`, 1774746005, "user");
          expect(Math.ceil(last[user]! - 1e-6)).toBe(1774746005);
          await expectVmZones(user, 1774745990, 1774746000, { z2: 10 });
        }
      });
    }

    test("hostile-labels.json: names that try to inject labels become plain sanitised names", async () => {
      const res = await post("hostile", await fixture("hae/hostile-labels.json"));
      expect([res.status, res.records]).toEqual([200, { gauges: 3, nights: 0, workouts: 1, changed: 4, dropped: 0 }]);
      // [^a-z0-9_] → "_" after lowercasing, then the hae_ prefix
      const names = ["hae___name__", "hae_heart_rate_user__victim__", "hae_step_count__user__victim"];
      const t = 1773140400; // 2026-03-10 12:00 +0100
      expect(Object.keys(await gauges("hostile", t - 60, t + 600)).sort()).toEqual([
        "hae___name__|count__user__victim", // a unit is sanitised to unit characters before it becomes a label value
        "hae_heart_rate_user__victim__|count/min",
        "hae_step_count__user__victim|count",
      ]);
      expect((await summary("hostile", t, t + 600)).last_workout).toMatchObject({ type: "zumba_type_x", end: t + 600, duration_s: 600 });
      if (vmOf) {
        const series = vmSeries;
        expect(await series(`{user="victim"}`)).toEqual([]);
        expect(await series(`{type="x"}`)).toEqual([]);
        const held = await series(`{user="hostile"}`);
        const allowed = new Set(["__name__", "user", "unit", "type"]);
        for (const labels of held) {
          expect(Object.keys(labels).filter((k) => !allowed.has(k))).toEqual([]);
          expect([labels.__name__!.match(/^[a-z0-9_]+$/) !== null, labels.user, labels.type ?? "zumba_type_x"]).toEqual([true, "hostile", "zumba_type_x"]);
        }
        expect([...new Set(held.map((l) => l.__name__!))].filter((n) => n.startsWith("hae_")).sort()).toEqual(names);
        // every user label VM holds is one of ours
        const users = new Set((await series(`{user!=""}`)).map((l) => l.user));
        expect([...users].filter((u) => !(USERS as readonly string[]).includes(u!))).toEqual([]);
      }
    });
  });
}

onBothStores(haeSuite);
