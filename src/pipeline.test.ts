// deliverPending and the delivery numbers: a store that lost deliveries the ledger holds as done (a power cut took
// the embedded store's last commits, or the store delivered to is another one) is given everything again.
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ledger } from "./ledger/ledger";
import { silentLogger } from "./log";
import { deliverPending, Pipeline } from "./pipeline";
import { RawLog } from "./raw/rawlog";
import { SqliteStore } from "./store/sqlite";
import { zoneBoundsBpm } from "./transform/zones";
import { waitFor } from "../tests/support/process";

const bounds = zoneBoundsBpm({ mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] });
const T0 = 1_767_225_600;
const block = (start: number, bpm: number, n: number) => Array.from({ length: n }, (_, i) => ({ ts: start + 5 * i, bpm, source: "watch", device: "" }));
const workout = { id: "W", name: "Run", start: T0 - 7200, end: T0 - 3600, durationS: 3600, distanceKm: 10 };
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

test("each delivery is numbered on both sides; a store switched to and back is brought up to the ledger", async () => {
  const ledger = new Ledger(":memory:");
  const [a, b] = [new SqliteStore(":memory:"), new SqliteStore(":memory:")];
  ledger.ingest("me", block(T0, 130, 121), bounds); // 600 s of z2
  expect(await deliverPending(ledger, a)).toBe(false);
  expect([a.deliveredSeq(), ledger.deliverySeq()]).toEqual([1, 1]);
  // another store (STORE switched): it has nothing the ledger delivered, so it is given everything
  ledger.ingest("me", block(T0 + 1200, 150, 13), bounds); // 10 + 60 s of z3
  expect(await deliverPending(ledger, b)).toBe(true);
  expect((await b.summary("me", T0 - 60, T0 + 3600)).zone_seconds).toEqual({ z1: 0, z2: 600, z3: 70, z4: 0, z5: 0 });
  // and back: the first store missed the second delivery
  ledger.ingest("me", block(T0 + 2400, 185, 13), bounds); // 70 s of z5
  expect(await deliverPending(ledger, a)).toBe(true);
  expect((await a.summary("me", T0 - 60, T0 + 3600)).zone_seconds).toEqual({ z1: 0, z2: 600, z3: 70, z4: 0, z5: 70 });
  expect(a.deliveredSeq()).toBe(ledger.deliverySeq());
  // caught up: the next delivery is an ordinary one
  expect(await deliverPending(ledger, a)).toBe(false);
});

test("records are numbered too: a store that lost a workout's delivery gets it again, and the heart rate with it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-seq-"));
  dirs.push(dir);
  const ledger = new Ledger(dir);
  let store = new SqliteStore(dir);
  ledger.ingest("me", block(T0, 130, 121), bounds);
  await deliverPending(ledger, store);
  await store.close();
  const snapshot = join(dir, "before");
  mkdirSync(snapshot);
  const storeFiles = () => readdirSync(dir).filter((name) => name.startsWith("metrics.sqlite"));
  for (const name of storeFiles()) copyFileSync(join(dir, name), join(snapshot, name));

  store = new SqliteStore(dir);
  ledger.ingest("me", [], bounds, undefined, { gauges: [], sleep: [], workouts: [workout] });
  await deliverPending(ledger, store);
  expect((await store.summary("me", T0 - 86_400, T0)).workouts.count).toBe(1);
  await store.close();
  // what a power cut leaves: the store as it was before the workout's delivery, the ledger after it
  for (const name of storeFiles()) unlinkSync(join(dir, name));
  for (const name of readdirSync(snapshot)) copyFileSync(join(snapshot, name), join(dir, name));
  store = new SqliteStore(dir);
  expect(store.deliveredSeq()).toBeLessThan(ledger.deliverySeq());
  expect(await deliverPending(ledger, store)).toBe(true);
  const summary = await store.summary("me", T0 - 86_400, T0 + 3600);
  expect([summary.workouts.count, summary.zone_seconds.z2]).toEqual([1, 600]);
  await store.close();
  ledger.close();
});

test("the write-ahead logs are copied into the ledger's and the store's files once the pipeline is idle, not by a sync", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-idle-"));
  dirs.push(dir);
  const [ledger, store] = [new Ledger(dir), new SqliteStore(dir)];
  const profile = { mode: "max" as const, hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] };
  const pipeline = new Pipeline({ ledger, store, rawLog: new RawLog(dir), profileFor: () => profile, clock: () => new Date((T0 + 3600) * 1000), log: silentLogger });
  const size = (name: string) => statSync(join(dir, name)).size;
  const before = [size("ledger.sqlite"), size("metrics.sqlite")];
  const body = { shape: "fixture" as const, heartRate: block(T0, 130, 121), gauges: [], sleep: [], workouts: [], ignored: {} };
  const result = await pipeline.accept(new TextEncoder().encode("{}"), body, "me");
  expect([result.delivered, result.zone_seconds_added.z2]).toEqual([true, 600]);
  // the sync committed to the logs only
  expect([size("ledger.sqlite"), size("metrics.sqlite")]).toEqual(before);
  await waitFor(() => size("ledger.sqlite") > before[0]! && size("metrics.sqlite") > before[1]!, 10_000, "checkpoints once idle");
  await pipeline.stop();
  store.close();
  ledger.close();
});
