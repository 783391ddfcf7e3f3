// One contract, run against both stores, over every Store method: the summary for any range equals one transform
// over the union; series, daily values, records, device readings, health, lost writes and clear as the interface says.
import { describe, expect, test } from "bun:test";
import { Ledger } from "../ledger/ledger";
import type { HeartRateSample, SleepSegment, SleepStage } from "../normalize/model";
import { readLoad, localDays, type LoadSettings } from "../load/report";
import { localDate } from "../render/format";
import { deliverPending } from "../pipeline";
import { addDays, startOfLocalDay } from "../trmnl/localTime";
import { emptyZoneSeconds, transformBatch, zoneBoundsBpm, ZONES, type Credit, type ZoneProfile } from "../transform/zones";
import type { Store } from "./store";

export interface ContractTarget {
  /** A fresh, empty store; `maxGeneration` lets VM exercise its compaction path. */
  open(options?: { maxGeneration?: number }): Promise<Store>;
  /** Makes writes visible (VM buffers them for about a second). */
  settle(): Promise<void>;
}

const profile: ZoneProfile = { mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] };
const bounds = zoneBoundsBpm(profile);
export const hr = (ts: number, bpm: number, source = "watch"): HeartRateSample => ({ ts, bpm, source, device: "" });

/** A seeded generator in [0, 1): the same draws for a seed, so a failing randomized case can be replayed. */
export function rng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

/** Zone seconds the union's credits give for from < ts <= to. */
export function expectedRange(credits: Credit[], from: number, to: number) {
  const totals = emptyZoneSeconds();
  for (const c of credits) if (c.ts > from && c.ts <= to) totals[ZONES[c.zone]!] += c.seconds;
  return totals;
}

export function storeContract(name: string, target: ContractTarget | null) {
  const run = target ? describe : describe.skip;
  run(`store contract: ${name}`, () => {
    // whole minutes in the past: VM hides samples newer than ~30 s from some queries
    const base = Math.floor(Date.now() / 1000 / 60) * 60 - 2 * 86400;
    let users = 0;
    const newUser = () => `contract${++users}_${Math.floor(Math.random() * 1e6)}`;

    async function post(store: Store, ledger: Ledger, user: string, batch: HeartRateSample[]) {
      ledger.ingest(user, batch, bounds);
      // small slices, so every case also crosses slice boundaries
      await deliverPending(ledger, store, 97);
    }

    test("seed: 121 samples at 5 s spacing at 65 % HRmax give 600 s of z2 and the last bpm", async () => {
      const store = await target!.open();
      const ledger = new Ledger(":memory:");
      const user = newUser();
      const samples = Array.from({ length: 121 }, (_, i) => hr(base + 5 * i, i === 120 ? 131 : 130));
      await post(store, ledger, user, samples);
      await target!.settle();
      expect(await store.summary(user, base - 3000, base + 600)).toEqual({
        user,
        from: base - 3000,
        to: base + 600,
        zone_seconds: { z1: 0, z2: 600, z3: 0, z4: 0, z5: 0 },
        last_heart_rate: { ts: base + 600, bpm: 131 },
        resting_heart_rate: null,
        workouts: { count: 0, distance_m: 0, duration_s: 0, active_energy_kcal: 0 },
        last_workout: null,
        last_sleep: null,
      });
      await store.close();
    });

    test("re-sent, overlapping, late and revised batches: every range equals one transform over the union", async () => {
      const store = await target!.open();
      const ledger = new Ledger(":memory:");
      const user = newUser();
      const random = rng(7);
      const all: HeartRateSample[] = [];
      for (let ts = base; ts < base + 4 * 3600; ts += 1 + Math.floor(random() * 15)) {
        if (random() < 0.005) ts += 600 + Math.floor(random() * 1800); // pauses longer than VM's 5 min lookback
        all.push(hr(ts, 70 + Math.round(random() * 120), random() < 0.85 ? "watch" : "phone"));
      }
      const batches: HeartRateSample[][] = [];
      for (let start = 0; start < all.length; start += 400) batches.push(all.slice(Math.max(0, start - 100), start + 400));
      // today's data first, then yesterday's late, then the rest shuffled, each re-sent once
      const order = [...batches.slice(-2), ...batches.slice(0, -2).sort(() => random() - 0.5)];
      for (const batch of order) await post(store, ledger, user, batch);
      for (const batch of order.slice(0, 3)) await post(store, ledger, user, batch);
      // a revision: the same instant and source with a new value moves its credit to another zone
      const revised = all[all.length >> 1]!;
      revised.bpm = revised.bpm >= 120 ? 100 : 185;
      await post(store, ledger, user, [revised]);
      await target!.settle();
      const union = transformBatch(all, profile, base + 86400).credits;
      const last = all.at(-1)!.ts;
      const ranges: [number, number][] = [[base - 1, last]];
      for (let i = 0; i < 12; i++) {
        const a = union[Math.floor(random() * union.length)]!.ts - Math.floor(random() * 3);
        const b = union[Math.floor(random() * union.length)]!.ts;
        if (a !== b) ranges.push([Math.min(a, b), Math.max(a, b)]);
      }
      for (const [from, to] of ranges) {
        const summary = await store.summary(user, from, to);
        expect({ from, to, zones: summary.zone_seconds }).toEqual({ from, to, zones: expectedRange(union, from, to) });
      }
      await store.close();
    });

    test("days posted late and out of order, revisions and a second source across UTC midnights: every range equals the union", async () => {
      const store = await target!.open();
      const ledger = new Ledger(":memory:");
      const user = newUser();
      const random = rng(16);
      const midnight = Math.floor(base / 86400) * 86400;
      // bursts of 1..12 s cadence around four UTC midnights and at random hours, hours of silence between
      const all: HeartRateSample[] = [];
      for (let day = -3; day <= 0; day++) {
        for (const start of [midnight + day * 86400 - 1200, midnight + day * 86400 + Math.floor(random() * 80_000)]) {
          for (let ts = start; ts < start + 1500; ts += 1 + Math.floor(random() * 12)) {
            all.push(hr(ts, 70 + Math.round(random() * 120) + (random() < 0.1 ? 0.5 : 0), random() < 0.8 ? "watch" : "phone"));
          }
        }
      }
      all.sort((a, b) => a.ts - b.ts);
      const batches: HeartRateSample[][] = [];
      for (let start = 0; start < all.length; start += 300) batches.push(all.slice(Math.max(0, start - 80), start + 300));
      // the first minutes after each midnight alone, then the newest day, the rest shuffled, some re-sent,
      // then revisions of random held samples: a late evening moves the next day's first credit
      const mornings = [0, -1, -2, -3].map((day) => all.filter((s) => s.ts >= midnight + day * 86400 && s.ts < midnight + day * 86400 + 300));
      const order = [...mornings, ...batches.slice(-3), ...batches.slice(0, -3).sort(() => random() - 0.5), ...batches.slice(0, 4)];
      const held = new Map<string, HeartRateSample>();
      const key = (s: HeartRateSample) => `${s.ts}|${s.source}`;
      for (const batch of order) {
        await post(store, ledger, user, batch);
        for (const s of batch) held.set(key(s), s);
      }
      const revisions = Array.from({ length: 16 }, () => {
        const s = all[Math.floor(random() * all.length)]!;
        return { ...s, bpm: s.bpm >= 130 ? 95 : 175 };
      });
      for (let i = 0; i < revisions.length; i += 8) {
        const batch = revisions.slice(i, i + 8);
        await post(store, ledger, user, batch);
        for (const s of batch) held.set(key(s), s);
      }
      await target!.settle();
      // the union: every distinct (instant, source) with its latest value, credited once
      const union = transformBatch([...held.values()], profile, base + 86400).credits;
      const ranges: [number, number][] = [[union[0]!.ts - 1, union.at(-1)!.ts]];
      for (let day = -3; day <= 0; day++) ranges.push([midnight + day * 86400 - 1, midnight + day * 86400 + 600], [midnight + (day - 1) * 86400, midnight + day * 86400]);
      for (let i = 0; i < 10; i++) {
        const a = union[Math.floor(random() * union.length)]!.ts - Math.floor(random() * 3);
        const b = union[Math.floor(random() * union.length)]!.ts;
        if (a !== b) ranges.push([Math.min(a, b), Math.max(a, b)]);
      }
      for (const [from, to] of ranges) {
        const summary = await store.summary(user, from, to);
        expect({ from, to, zones: summary.zone_seconds }).toEqual({ from, to, zones: expectedRange(union, from, to) });
      }
      const whole = await store.summary(user, union[0]!.ts - 1, union.at(-1)!.ts);
      expect(whole.last_heart_rate).toEqual({ ts: union.at(-1)!.ts, bpm: union.at(-1)!.bpm });
      await store.close();
    }, 30_000);

    test("the first sample after a long pause earns 10 s, also in a range that starts inside the pause", async () => {
      const store = await target!.open();
      const ledger = new Ledger(":memory:");
      const user = newUser();
      await post(store, ledger, user, [hr(base, 130), hr(base + 5, 130)]);
      await post(store, ledger, user, [hr(base + 3600, 190), hr(base + 3605, 190)]);
      await target!.settle();
      expect((await store.summary(user, base + 1800, base + 3605)).zone_seconds).toEqual({ z1: 0, z2: 0, z3: 0, z4: 0, z5: 15 });
      expect((await store.summary(user, base + 3599, base + 3600)).zone_seconds.z5).toBe(10);
      await store.close();
    });

    test("a payload for yesterday arriving after today's leaves today's numbers as the union gives", async () => {
      const store = await target!.open({ maxGeneration: 2 });
      const ledger = new Ledger(":memory:");
      const user = newUser();
      const today = Array.from({ length: 61 }, (_, i) => hr(base + 86400 + 10 * i, 150));
      await post(store, ledger, user, today);
      // more late inserts than generations: the VM store must compact and rebuild
      for (let day = 1; day <= 4; day++) {
        await post(store, ledger, user, Array.from({ length: 31 }, (_, i) => hr(base + 86400 - day * 3600 + 5 * i, 130)));
      }
      await target!.settle();
      expect((await store.summary(user, base + 86400, base + 86400 + 600)).zone_seconds).toEqual({ z1: 0, z2: 0, z3: 600, z4: 0, z5: 0 });
      // each late hour: 30 intervals of 5 s; its first sample follows a long pause and earns 10 s
      expect((await store.summary(user, base, base + 86400 - 1)).zone_seconds.z2).toBe(4 * 150 + 3 * 10);
      await store.close();
    });

    test("heartRateSeries: the last reading of each step from < ts <= to, revisions included", async () => {
      const store = await target!.open();
      const ledger = new Ledger(":memory:");
      const user = newUser();
      // 121 readings 5 s apart, bpm 100 + i: then the reading at base + 60 (i = 12) revised to 150
      await post(store, ledger, user, Array.from({ length: 121 }, (_, i) => hr(base + 5 * i, 100 + i)));
      await post(store, ledger, user, [hr(base + 60, 150)]);
      await target!.settle();
      // steps of 60 s from base: (base, base + 60] ends with i = 12 (revised: 150), then i = 24, 36 … 120
      expect(await store.heartRateSeries(user, base, base + 600, 60)).toEqual(
        Array.from({ length: 10 }, (_, k) => ({ ts: base + 60 * (k + 1), bpm: k === 0 ? 150 : 100 + 12 * (k + 1) })),
      );
      // steps of 5 s: every reading after `from`; none before the first or for another user
      expect((await store.heartRateSeries(user, base + 300, base + 330, 5)).map((p) => p.bpm)).toEqual([161, 162, 163, 164, 165, 166]);
      expect([await store.heartRateSeries(user, base - 600, base - 60, 60), await store.heartRateSeries(newUser(), base, base + 600, 60)]).toEqual([[], []]);
      await store.close();
    });

    test("a revised gauge point replaces the old one: the summary's resting rate is the newest value", async () => {
      const store = await target!.open();
      const ledger = new Ledger(":memory:");
      const user = newUser();
      const rest = (value: number) => ({ gauges: [{ name: "hae_resting_heart_rate", unit: "count/min", ts: base, value, source: "watch" }], sleep: [], workouts: [] });
      ledger.ingest(user, [], bounds, undefined, rest(58));
      await deliverPending(ledger, store);
      ledger.ingest(user, [], bounds, undefined, rest(52));
      await deliverPending(ledger, store);
      await target!.settle();
      expect((await store.summary(user, base - 60, base + 60)).resting_heart_rate).toEqual({ ts: base, bpm: 52 });
      await store.close();
    });

    test("health, lostWrites and clear: a working store is reachable, has lost nothing, and forgets only the users cleared", async () => {
      const store = await target!.open();
      const ledger = new Ledger(":memory:");
      const [gone, kept] = [newUser(), newUser()];
      const gauge = { name: "hae_resting_heart_rate", unit: "count/min", ts: base + 600, value: 55, source: "watch" };
      const night = { source: "Watch", start: base, end: base + 3600, stageSeconds: { core: 3600 } };
      for (const user of [gone, kept]) {
        ledger.ingest(user, Array.from({ length: 121 }, (_, i) => hr(base + 5 * i, 130)), bounds, undefined, { gauges: [gauge], sleep: [night], workouts: [] });
      }
      await deliverPending(ledger, store);
      await target!.settle();
      const health = await store.health();
      expect([health.kind, health.reachable, health.detail]).toEqual([store.kind, true, undefined]);
      expect(await store.lostWrites()).toEqual([]);
      const before = await store.summary(kept, base - 60, base + 3600);
      await store.clear([gone]);
      await target!.settle();
      // the cleared user answers as one never written: no zone seconds, heart rate, resting rate or night
      const nobody = await store.summary(newUser(), base - 60, base + 3600);
      expect([nobody.zone_seconds, nobody.last_heart_rate, nobody.resting_heart_rate, nobody.last_sleep]).toEqual([emptyZoneSeconds(), null, null, null]);
      expect(await store.summary(gone, base - 60, base + 3600)).toEqual({ ...nobody, user: gone });
      expect(await store.heartRateSeries(gone, base - 60, base + 600, 60)).toEqual([]);
      // the other user as before: 600 s of z2, the night and the resting rate
      expect(await store.summary(kept, base - 60, base + 3600)).toEqual(before);
      expect([before.zone_seconds.z2, before.last_sleep?.end, before.resting_heart_rate]).toEqual([600, base + 3600, { ts: base + 600, bpm: 55 }]);
      await store.close();
    });

    test("TRMNL device readings: each metric's latest value per device, a field not reported keeps its last value", async () => {
      const store = await target!.open();
      // two devices of this run only: VM is shared between the cases
      const tag = Math.floor(Math.random() * 256).toString(16).padStart(2, "0").toUpperCase();
      const [a, b] = [`AA:BB:CC:DD:${tag}:01`, `AA:BB:CC:DD:${tag}:02`];
      await store.writeDeviceReading({ device: a, ts: base, batteryVolts: 4.01, percentCharged: null, rssiDbm: -61 });
      await store.writeDeviceReading({ device: a, ts: base + 900, batteryVolts: 3.42, percentCharged: 12, rssiDbm: null });
      await store.writeDeviceReading({ device: b, ts: base + 60, batteryVolts: null, percentCharged: null, rssiDbm: -80 });
      await target!.settle();
      const mine = (await store.deviceReadings()).filter((r) => r.device === a || r.device === b);
      expect(mine).toEqual([
        // a's second poll sent no RSSI: -61 from the first stays
        { device: a, ts: base + 900, batteryVolts: 3.42, percentCharged: 12, rssiDbm: -61 },
        { device: b, ts: base + 60, batteryVolts: null, percentCharged: null, rssiDbm: -80 },
      ]);
      await store.close();
    });

    test("daily: zone seconds and gauge means per local day, cut at the zone's midnight (Kathmandu, +05:45)", async () => {
      const store = await target!.open();
      const ledger = new Ledger(":memory:");
      const user = newUser();
      const tz = "Asia/Kathmandu";
      const date = localDate(base - 86400, tz);
      const midnight = startOfLocalDay(date, tz);
      // 130 bpm (z2) every 5 s from 20 s before midnight to 20 s after: the very first sample earns nothing, the others
      // 5 s, so the day before gets 0 + 5 + 5 + 5 = 15 s (−20..−5) and the day 25 s (0..20; midnight itself is the day's)
      await post(store, ledger, user, Array.from({ length: 9 }, (_, i) => hr(midnight - 20 + 5 * i, 130)));
      const gauge = (name: string, unit: string, ts: number, value: number) => ({ name, unit, ts, value, source: "watch" });
      ledger.records.merge(user, [
        gauge("hae_resting_heart_rate", "count/min", midnight - 3600, 58),
        gauge("hae_resting_heart_rate", "count/min", midnight, 52), // HAE stamps a day's value at its 00:00
        gauge("hae_heart_rate_variability", "ms", midnight + 3600, 40),
        gauge("hae_heart_rate_variability", "ms", midnight + 7200, 51),
        gauge("hae_step_count", "count", midnight + 60, 1000),
      ], [], []);
      await deliverPending(ledger, store);
      await target!.settle();
      const days = localDays(addDays(date, -1), addDays(date, 1), tz);
      expect(await store.daily(user, days)).toEqual([
        { date: addDays(date, -1), zone_seconds: { z1: 0, z2: 15, z3: 0, z4: 0, z5: 0 }, rhr: 58, hrv: null },
        { date, zone_seconds: { z1: 0, z2: 25, z3: 0, z4: 0, z5: 0 }, rhr: 52, hrv: 45.5 },
        { date: addDays(date, 1), zone_seconds: { z1: 0, z2: 0, z3: 0, z4: 0, z5: 0 }, rhr: null, hrv: null },
      ]);
      await store.close();
    });

    test("late data moves the curves: a payload for 30 days ago changes that day and every later atl/ctl/tsb", async () => {
      const store = await target!.open();
      const ledger = new Ledger(":memory:");
      const user = newUser();
      const settings: LoadSettings = { timeZone: "UTC", weights: [0, 2, 3, 4, 5], weeklyGoalMin: 150 };
      const today = localDate(base, "UTC");
      const dayStart = (n: number) => startOfLocalDay(addDays(today, -n), "UTC");
      // 121 samples 5 s apart from 10:00: 600 s in one zone, + 10 s for the first when it follows a pause
      const block = (daysAgo: number, bpm: number) => Array.from({ length: 121 }, (_, i) => hr(dayStart(daysAgo) + 36000 + 5 * i, bpm));
      await post(store, ledger, user, block(40, 130)); // the very first: 600 s z2, trimp 2 × 600/60 = 20
      await post(store, ledger, user, block(1, 130));
      await target!.settle();
      const range = [addDays(today, -40), today] as const;
      const before = await readLoad(store, user, ...range, settings, ledger.firstTs(user));
      await post(store, ledger, user, block(30, 170)); // late, z4: trimp 4 × 610/60 = 40.667
      await target!.settle();
      const after = await readLoad(store, user, ...range, settings, ledger.firstTs(user));
      const at = (report: typeof before, daysAgo: number) => report.days.find((d) => d.date === addDays(today, -daysAgo))!;
      // 40 days ago: atl = 20/7 = 2.857, ctl = 20/42 = 0.476; untouched by the late day
      expect(at(after, 40)).toEqual(at(before, 40));
      expect([at(after, 40).trimp, at(after, 40).atl, at(after, 40).ctl]).toEqual([20, 2.857, 0.476]);
      expect([at(before, 30).trimp, at(after, 30).trimp]).toEqual([0, 40.667]);
      for (let daysAgo = 30; daysAgo >= 0; daysAgo--) {
        expect(at(after, daysAgo).ctl).toBeGreaterThan(at(before, daysAgo).ctl);
        expect(at(after, daysAgo).tsb).not.toBe(at(before, daysAgo).tsb);
      }
      // and the whole answer equals the one a fresh store gives for everything at once
      const fresh = await target!.open();
      const all = new Ledger(":memory:");
      await post(fresh, all, user, [...block(40, 130), ...block(30, 170), ...block(1, 130)]);
      await target!.settle();
      expect(after).toEqual(await readLoad(fresh, user, ...range, settings, all.firstTs(user)));
      await store.close();
      await fresh.close();
    });

    test("a night sent in two parts, or a workout that moves, leaves nothing at its old end", async () => {
      const store = await target!.open();
      const ledger = new Ledger(":memory:");
      const user = newUser();
      const t = base - 86400; // 23:30
      const seg = (from: number, to: number, stage: SleepStage) => ({ start: t + from, end: t + to, stage });
      const sleep = (segments: SleepSegment[]) => ({ gauges: [], workouts: [], sleep: [{ source: "Watch", start: 0, end: 0, stageSeconds: {}, segments }] });
      const workout = (start: number) => ({ gauges: [], sleep: [], workouts: [{ id: "W1", name: "Running", start: t + start, end: t + start + 3600, durationS: 3600 }] });
      // core 23:30–01:00 + deep 01:00–03:00, and a run 04:00–05:00
      ledger.ingest(user, [], bounds, undefined, sleep([seg(0, 5400, "core"), seg(5400, 12600, "deep")]));
      ledger.ingest(user, [], bounds, undefined, workout(16200));
      await deliverPending(ledger, store);
      // then core 03:00–06:30 + rem 06:30–07:00: one night 23:30–07:00; the run moves to 08:00–09:00
      ledger.ingest(user, [], bounds, undefined, sleep([seg(12600, 25200, "core"), seg(25200, 27000, "rem")]));
      ledger.ingest(user, [], bounds, undefined, workout(30600));
      await deliverPending(ledger, store);
      await target!.settle();
      const at0530 = await store.summary(user, t + 19800 - 12 * 3600, t + 19800);
      expect([at0530.last_sleep, at0530.last_workout, at0530.workouts.count]).toEqual([null, null, 0]);
      const at0930 = await store.summary(user, t - 3600, t + 36000);
      expect([at0930.last_sleep, at0930.last_workout, at0930.workouts.count]).toEqual([
        // core 1.5 h + 3.5 h, deep 2 h, rem 0.5 h
        { start: t, end: t + 27000, stage_seconds: { deep: 7200, core: 18000, rem: 1800, awake: 0, asleep: 0, in_bed: 0 } },
        { type: "run", name: expect.any(String), start: t + 30600, end: t + 34200, duration_s: 3600, avg_heart_rate: null },
        1,
      ]);
      await store.close();
    });
  });
}
