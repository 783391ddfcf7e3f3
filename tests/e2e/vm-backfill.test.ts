// A backfill delivered to VictoriaMetrics in full slices: each slice is drawn while VM still ingests the one before
// (shared.vm.ts `posting`), so a slice's first day is drawn from the previous slice's end before that post is answered.
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

/**
 * Three UTC days at 1 Hz (86,400 instants each: every day closes a 50 k slice, so each midnight is a slice boundary
 * 1 s apart) with zones that change every few seconds, plus a 20-minute gap before the last day.
 */
function threeDays(seed: number): HeartRateSample[] {
  const random = rng(seed);
  const samples: HeartRateSample[] = [];
  let bpm = 120;
  for (let ts = MIDNIGHT - 3 * DAY; ts < MIDNIGHT; ts++) {
    if (ts >= MIDNIGHT - DAY - 1200 && ts < MIDNIGHT - DAY) continue;
    bpm = Math.min(195, Math.max(100, bpm + Math.round((random() - 0.5) * 12)));
    samples.push(hr(ts, bpm));
  }
  return samples;
}

/** A proxy in front of VM that answers 503 to the `failing`-th import (1-based) instead of passing it on. */
function failingProxy(failing: number) {
  let imports = 0;
  const proxy = vmProxy(
    () => shared.vm.url,
    () => (++imports === failing ? new Response("overloaded", { status: 503 }) : undefined),
  );
  return { ...proxy, imports: () => imports };
}

/** Ranges around each slice boundary (the midnights), the gap, and the whole. */
function ranges(samples: HeartRateSample[]): [number, number][] {
  const out: [number, number][] = [[samples[0]!.ts - 1, samples.at(-1)!.ts]];
  for (const at of [MIDNIGHT - 2 * DAY, MIDNIGHT - DAY]) {
    for (const k of [-2, -1, 0, 1, 2]) out.push([at + k, at + 300], [at - 300, at + k]);
  }
  out.push([MIDNIGHT - DAY - 1300, MIDNIGHT - DAY + 60]);
  return out;
}

/** Every range across the slices' boundaries, as VM answers it, equals the transform of the union. */
async function expectUnion(store: VmStore, user: string, samples: HeartRateSample[]) {
  await shared.vm.flush();
  const union = transformBatch(samples, profile, MIDNIGHT + DAY).credits;
  const asked = ranges(samples);
  const got = await Promise.all(asked.map(async ([from, to]) => ({ from, to, zones: (await store.summary(user, from, to)).zone_seconds })));
  expect(got).toEqual(asked.map(([from, to]) => ({ from, to, zones: expectedRange(union, from, to) })));
}

describe.skipIf(!!skip)("VictoriaMetrics backfill in slices", () => {
  test("slices drawn while the one before is in flight: every range across their boundaries equals the union", async () => {
    const user = "slices";
    const store = openStore();
    const ledger = new Ledger(":memory:");
    const samples = threeDays(7);
    ledger.ingest(user, samples, bounds);
    // three slices of one day each (the ledger closes a slice at the end of the day that reaches 50 k credits)
    expect([...ledger.zoneRewrites(user, samples[0]!.ts, 50_000)].map((s) => s.credits.length)).toEqual([86_400, 86_400 - 1200, 86_400]);
    await deliverPending(ledger, store);
    await expectUnion(store, user, samples);
    await store.close();
  }, 60_000);

  test("a slice's post that fails while the next is drawn fails the delivery; the next delivery writes everything exactly", async () => {
    const user = "slices_failing";
    // the second slice's post is refused: the first slice's state is recorded, the delivery throws, nothing is marked delivered
    const proxy = failingProxy(2);
    const store = openStore(proxy.url);
    const ledger = new Ledger(":memory:");
    const samples = threeDays(11);
    ledger.ingest(user, samples, bounds);
    await expect(deliverPending(ledger, store)).rejects.toThrow(/503/);
    expect(ledger.pending().map((p) => p.user)).toEqual([user]);
    await deliverPending(ledger, store);
    expect(ledger.pending()).toEqual([]);
    await expectUnion(store, user, samples);
    await store.close();
    proxy.stop();
  }, 60_000);
});
