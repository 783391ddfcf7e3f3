// What late data costs VictoriaMetrics, and that the per-day counters stay exact where VM's reset reading is
// most delicate (1 s apart across UTC midnight, a zone that comes and goes, instants that change zone).
import { describe, expect, test } from "bun:test";
import { Ledger } from "../../src/ledger/ledger";
import type { HeartRateSample } from "../../src/normalize/model";
import { deliverPending } from "../../src/pipeline";
import { expectedRange, hr, rng } from "../../src/store/store.contract";
import { VmStore } from "../../src/store/vm";
import { transformBatch } from "../../src/transform/zones";
import { vmProxy, vmStoreFile } from "../support/vm";

const { shared, skip, profile, bounds, midnight: MIDNIGHT, openStore } = vmStoreFile();
const DAY = 86400;

/** A proxy in front of VM counting the points of every import it passes on (VM's own row counter lags by a second). */
function countingProxy() {
  const counted = { points: 0 };
  const proxy = vmProxy(
    () => shared.vm.url,
    (body) => {
      for (const line of body.split("\n")) if (line) counted.points += (JSON.parse(line) as { values: unknown[] }).values.length;
    },
  );
  return Object.assign(counted, proxy);
}

describe.skipIf(!!skip)("VictoriaMetrics late data", () => {
  test("one late sample rewrites only its own day, not the days held after it", async () => {
    const proxy = countingProxy();
    const store = openStore(proxy.url);
    const ledger = new Ledger(":memory:");
    // 5½ days of a sample every 10 s: 8640 instants a day, the zone following the minute
    const samples: HeartRateSample[] = [];
    for (let ts = MIDNIGHT - 5 * DAY; ts < MIDNIGHT + DAY / 2; ts += 10) samples.push(hr(ts, 100 + ((ts / 60) % 90)));
    ledger.ingest("late", samples, bounds);
    await deliverPending(ledger, store);
    const before = proxy.points;
    // between two held samples at noon of the first day: 4320 instants of that day follow it, 30,240 after that day
    ledger.ingest("late", [hr(MIDNIGHT - 5 * DAY + 43_205, 185)], bounds);
    await deliverPending(ledger, store);
    await shared.vm.flush();
    const rows = proxy.points - before;
    // the rest of its day: 4321 instants for the five zones and the heart rate, and the five zones at the reset
    // seconds of those 12 h (each zone comes back every 90 minutes: 8 × 5); the old cumulative counters wrote 6 × 34,561
    expect(rows).toBeGreaterThan(4321);
    expect(rows).toBeLessThanOrEqual(6 * 4321 + 5 * 40);
    // a sync that revises a sample at noon two days later and adds 30 samples after the last day's last one: the rest
    // of that day again, and only the new instants of the last day (its earlier instants did not change)
    const before2 = proxy.points;
    const appended = Array.from({ length: 30 }, (_, i) => hr(MIDNIGHT + DAY / 2 + 10 * i, 120));
    ledger.ingest("late", [hr(MIDNIGHT - 3 * DAY + 43_200, 186), ...appended], bounds);
    await deliverPending(ledger, store);
    await shared.vm.flush();
    expect(proxy.points - before2).toBeLessThanOrEqual(6 * 4320 + 5 * 40 + 2 * 30 + 30);
    // the union: the revision replaces the held sample at its instant
    const held = new Map([...samples, hr(MIDNIGHT - 5 * DAY + 43_205, 185), hr(MIDNIGHT - 3 * DAY + 43_200, 186), ...appended].map((h) => [h.ts, h]));
    const union = transformBatch([...held.values()], profile, MIDNIGHT + 2 * DAY).credits;
    for (const [from, to] of [
      [MIDNIGHT - 6 * DAY, MIDNIGHT + DAY],
      [MIDNIGHT - 5 * DAY + 43_200, MIDNIGHT - 5 * DAY + 43_210],
      [MIDNIGHT - 5 * DAY + 43_000, MIDNIGHT - 3 * DAY + 17],
      [MIDNIGHT - 3 * DAY + 43_190, MIDNIGHT + DAY / 2 - 5],
      [MIDNIGHT + DAY / 2 - 100, MIDNIGHT + DAY / 2 + 200],
    ]) {
      expect({ from, to, zones: (await store.summary("late", from!, to!)).zone_seconds }).toEqual({ from, to, zones: expectedRange(union, from!, to!) });
    }
    await store.close();
    proxy.stop();
  }, 60_000);

  test("1 s apart across UTC midnights, zones that come and go, revisions that move instants between zones: every range equals the union", async () => {
    for (const seed of [3, 17, 29]) {
      const store = openStore();
      const ledger = new Ledger(":memory:");
      const user = `edge${seed}`;
      const random = rng(seed);
      const all: HeartRateSample[] = [];
      // per midnight: 1 Hz from 90 s before to 90 s after, then sparse samples 1..90 s apart for 20 minutes
      for (let day = -2; day <= 0; day++) {
        const m = MIDNIGHT + day * DAY;
        for (let ts = m - 90; ts < m + 90; ts++) all.push(hr(ts, 100 + Math.round(random() * 90)));
        for (let ts = m + 90; ts < m + 1200; ts += 1 + Math.floor(random() * 90)) all.push(hr(ts, 100 + Math.round(random() * 90)));
      }
      // a zone held 1 s before midnight: the next day's first second in the same zone (VM reads 1 → 1 as no change)
      const m = MIDNIGHT + DAY;
      all.push(hr(m - 600, 185), hr(m - 2, 110), hr(m - 1, 185), hr(m, 185), hr(m + 1, 110));
      const batches: HeartRateSample[][] = [];
      for (let start = 0; start < all.length; start += 40) batches.push(all.slice(start, start + 40));
      const held = new Map<string, HeartRateSample>();
      const post = async (batch: HeartRateSample[]) => {
        ledger.ingest(user, batch, bounds);
        await deliverPending(ledger, store);
        for (const s of batch) held.set(`${s.ts}|${s.source}`, s);
      };
      // newest first, the rest shuffled: every batch is late against what was written
      for (const batch of [...batches.slice(-2), ...batches.slice(0, -2).sort(() => random() - 0.5)]) await post(batch);
      // revisions move held instants to other zones (old points in the old zone's series must not survive)
      for (let i = 0; i < 4; i++) {
        await post(Array.from({ length: 10 }, () => {
          const s = all[Math.floor(random() * all.length)]!;
          return { ...s, bpm: s.bpm >= 150 ? 105 : 185 };
        }));
      }
      await shared.vm.flush();
      const union = transformBatch([...held.values()], profile, MIDNIGHT + 2 * DAY).credits;
      const ranges: [number, number][] = [[union[0]!.ts - 1, union.at(-1)!.ts]];
      for (let day = -2; day <= 1; day++) {
        const at = MIDNIGHT + day * DAY;
        for (let k = -3; k <= 2; k++) ranges.push([at + k, at + 600], [at - 900, at + k]);
      }
      for (let i = 0; i < 20; i++) {
        const a = union[Math.floor(random() * union.length)]!.ts - Math.floor(random() * 90);
        const b = union[Math.floor(random() * union.length)]!.ts;
        if (a !== b) ranges.push([Math.min(a, b), Math.max(a, b)]);
      }
      const got = await Promise.all(ranges.map(async ([from, to]) => ({ from, to, zones: (await store.summary(user, from, to)).zone_seconds })));
      expect(got).toEqual(ranges.map(([from, to]) => ({ from, to, zones: expectedRange(union, from, to) })));
      await store.close();
    }
  }, 120_000);
});
